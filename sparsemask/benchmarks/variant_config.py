"""The variants a model benchmark compares, run on the same weights:
``ours`` (this project's functions), ``stock`` (Chainer's own) and
``onnxruntime`` (ours exported to ONNX)."""

import chainer

#: the Chainer variants (see :func:`variant_config`)
VARIANTS = ('ours', 'stock')


def variant_config(name):
    """The configuration a variant runs under.

    Args:
        name (str): ``'ours'`` (our depthwise and pointwise convolutions
            and resizing, the fused FDN stage) or ``'stock'`` (Chainer's
            own functions: grouped convolution after ``F.pad``,
            ``F.resize_images``, the unfused decoder), or
            ``'onnxruntime'``.

    Returns:
        context manager: ``chainer.using_config('stock_functions', ...)``.

    """
    return chainer.using_config('stock_functions', name == 'stock')


def forward_test(model, x, name='ours'):
    """Runs a test-phase forward pass of a variant.

    Args:
        model: the model (a Chainer link, or an ONNX Runtime model).
        x (array): the input batch.
        name (str): the variant (:func:`variant_config`).

    Returns:
        ~chainer.Variable: the logits.

    """
    with chainer.using_config('train', False), chainer.no_backprop_mode(), \
            variant_config(name):
        return model(x)
