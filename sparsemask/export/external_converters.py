"""ONNX converters, for :func:`onnx_chainer.export`, of what its own
converters get wrong or lack in a SparseMask model.

- ``ResizeImages`` (:func:`chainer.functions.resize_images`): onnx_chainer's
  converter ignores ``align_corners`` and emits ``Resize`` with ONNX's
  default ``half_pixel`` coordinates, while Chainer resizes with
  ``align_corners=True`` by default: the results differ.
- ``FDNStageFunction`` (:func:`sparsemask.functions.fdn_stage`, the fused
  decoder stage) has no converter at all.
- ``DepthwiseConvolution2D`` and ``PointwiseConvolution2D``
  (:func:`sparsemask.functions.depthwise_convolution_2d` and
  :func:`sparsemask.functions.pointwise_convolution_2d`, the CPU
  convolutions of MobileNetV2) have none either; they become ``Conv``
  (the depthwise one with ``group`` and its asymmetric ``pads``, so that
  TensorFlow's ``'SAME'`` padding needs no ``Pad`` node).

All emit stock ONNX operators (opset 11 or later), so that any runtime
reads the file.
"""

import numpy

import chainer

from onnx_chainer import onnx_helper


#: the earliest opset whose ``Resize`` has ``coordinate_transformation_mode``
MINIMUM_OPSET = 11


def _check_opset(name, opset_version):
    if opset_version < MINIMUM_OPSET:
        raise ValueError(
            '{} needs ONNX opset {} or later (Resize with '
            'coordinate_transformation_mode), not {}'.format(
                name, MINIMUM_OPSET, opset_version))


class _Constants(object):
    # Constant nodes with names unique within the converted function

    def __init__(self, context):
        self.context = context
        self.count = 0

    def __call__(self, array, name):
        self.count += 1
        return self.context.add_const(array, '{}{}'.format(name, self.count))


def _resize(gb, const, opset_version, x, shape, size, output_names=None,
            mode='bilinear', align_corners=True):
    """Emits ``Resize`` of ``x`` (of ``shape``) to ``size`` as Chainer's
    ``resize_images`` computes it."""
    N, C = shape[:2]
    sizes = const(numpy.array(
        [N, C, size[0], size[1]], dtype=numpy.int64), 'sizes')
    if opset_version >= 13:
        # roi and scales are optional inputs from opset 13 on
        inputs = [x, '', '', sizes]
    else:
        roi = const(numpy.array([], dtype=numpy.float32), 'roi')
        scales = const(numpy.array([], dtype=numpy.float32), 'scales')
        inputs = [x, roi, scales, sizes]
    if mode == 'bilinear':
        # Chainer, align_corners=True: in = out * (n_in - 1) / (n_out - 1);
        # align_corners=False: in = max((out + 0.5) * n_in / n_out - 0.5, 0)
        # (ONNX Runtime clamps the coordinates of linear mode the same way)
        attributes = dict(
            mode='linear',
            coordinate_transformation_mode='align_corners'
            if align_corners else 'half_pixel')
    elif mode == 'nearest':
        # Chainer: in = min(floor(out * n_in / n_out), n_in - 1)
        attributes = dict(mode='nearest',
                          coordinate_transformation_mode='asymmetric',
                          nearest_mode='floor')
    else:
        raise ValueError('resize_images: unknown mode {!r}'.format(mode))
    if output_names is None:
        return gb.op('Resize', inputs, **attributes)
    return gb.op_output_named('Resize', inputs, output_names, **attributes)


def _convert_resize_images(params):
    """Converts :func:`chainer.functions.resize_images` to ``Resize``.

    The coordinate transformation follows the function's ``mode`` and
    ``align_corners``: bilinear with ``align_corners=True`` (Chainer's
    default) is ``Resize`` in ``linear`` mode with
    ``coordinate_transformation_mode='align_corners'``. The output size is
    given as ``sizes`` (not scales), so it is exact.

    Args:
        params (onnx_chainer.functions.converter.FunctionConverterParams):
            the function, opset, input and output names and export context.

    Returns:
        tuple of onnx.NodeProto: the nodes.

    Raises:
        ValueError: if the opset is below 11.

    """
    func = params.func
    _check_opset('resize_images', params.opset_version)
    gb = onnx_helper.GraphBuilder()
    _resize(gb, _Constants(params.context), params.opset_version,
            params.input_names[0], func.inputs[0].shape,
            (func.out_H, func.out_W), output_names=params.output_names,
            mode=func.mode, align_corners=func.align_corners)
    return gb.nodes()


def _convert_fdn_stage(params):
    """Converts the fused FDN stage :func:`sparsemask.functions.fdn_stage`
    to stock ONNX operators, as the function computes it in test mode.

    The function's inputs are ``x_0 .. x_{T-1}``, ``W_0 .. W_{T-1}``
    ``(C_out, C_t)``, ``gamma``, ``beta`` ``(T, C_out)`` and ``w``
    ``(T,)``. For each input ``t`` the graph computes a 1x1 ``Conv`` at the
    input's resolution, ``z_t = W_t x_t``; with normalization, the
    per-connection batch normalization with the running statistics the
    function holds and the connection weight, in the function's own form
    ``(z_t - mean_t) * (w_t gamma_t / sqrt(var_t + eps))`` (the shift
    ``sum_t w_t beta_t`` is added once, after the upsampling, which keeps
    constants); without, ``w_t z_t``. Inputs of one size are summed at
    their resolution, each such sum is resized to the output size with the
    ``align_corners`` bilinear ``Resize``, and everything is summed. The
    weights ``W``, ``gamma``, ``beta`` and ``w`` stay graph tensors (the
    model's parameters); the running statistics become constants.

    Args:
        params (onnx_chainer.functions.converter.FunctionConverterParams):
            the function, opset, input and output names and export context.

    Returns:
        tuple of onnx.NodeProto: the nodes.

    Raises:
        ValueError: if the opset is below 11, or the function ran in
            training mode (batch statistics) or without running
            statistics.

    """
    func = params.func
    _check_opset('fdn_stage', params.opset_version)
    if func.normalize and getattr(func, 'train', False):
        raise ValueError(
            'fdn_stage: export the model in test mode '
            "(chainer.using_config('train', False)); in training mode it "
            'normalizes with batch statistics')
    if func.normalize and (func.running_mean is None
                           or func.running_var is None):
        raise ValueError('fdn_stage: a normalizing stage needs running_mean '
                         'and running_var to be exported')
    const = _Constants(params.context)
    opset = params.opset_version
    T = func.n_inputs
    names = params.input_names
    xs, Ws = names[:T], names[T:2 * T]
    gamma, beta, w = names[2 * T:]
    shapes = [tuple(func.inputs[t].shape) for t in range(T)]
    C, dtype = func.inputs[T].shape[0], func.inputs[0].dtype
    H, W = func.size
    gb = onnx_helper.GraphBuilder()

    def reshape(name, shape):
        return gb.op('Reshape', [name, const(
            numpy.array(shape, dtype=numpy.int64), 'shape')])

    def row(name, t):
        # row t of a (T, C) or (T,) tensor
        index = const(numpy.array(t, dtype=numpy.int64), 'index')
        return gb.op('Gather', [name, index], axis=0)

    if func.normalize:
        w_col = reshape(w, (T, 1))
        to_cpu = chainer.backends.cuda.to_cpu
        mean = to_cpu(func.running_mean).astype(dtype, copy=True)
        var = to_cpu(func.running_var).astype(dtype, copy=True)
        invstd = ((var + func.eps) ** -0.5).astype(dtype)
        # scale = w[:, None] * gamma * invstd; shift = sum_t w_t beta_t
        scale = gb.op('Mul', [gb.op('Mul', [w_col, gamma]),
                              const(invstd, 'invstd')])
        shift = gb.op('MatMul', [reshape(w, (1, T)), beta])
        shift = reshape(shift, (1, C, 1, 1))
    else:
        shift = None

    groups = {}  # inputs by spatial size, in first-seen order
    for t in range(T):
        z = gb.op('Conv', [xs[t], reshape(Ws[t], (C, shapes[t][1], 1, 1))],
                  kernel_shape=[1, 1])
        if func.normalize:
            z = gb.op('Sub', [z, const(mean[t].reshape(1, C, 1, 1),
                                       'mean')])
            z = gb.op('Mul', [z, reshape(row(scale, t), (1, C, 1, 1))])
        else:
            z = gb.op('Mul', [z, row(w, t)])  # a scalar
        groups.setdefault(shapes[t][2:], []).append(z)

    terms = []
    for hw, zs in groups.items():
        z = zs[0] if len(zs) == 1 else gb.op('Sum', zs)
        if hw != (H, W):
            z = _resize(gb, const, opset, z, (shapes[0][0], C) + hw, (H, W))
        terms.append(z)
    if shift is not None:
        terms.append(shift)
    if len(terms) == 1:
        gb.op_output_named('Identity', terms, params.output_names)
    else:
        gb.op_output_named('Sum', terms, params.output_names)
    return gb.nodes()


def _convert_depthwise_convolution_2d(params):
    """Converts :func:`sparsemask.functions.depthwise_convolution_2d` to
    ``Conv`` with ``group`` equal to the channels.

    The padding, which may differ before and after an axis, is ``Conv``'s
    ``pads`` ``[top, left, bottom, right]``; the inputs are ``x``, ``W``
    and, if the function has one, the bias.

    Args:
        params (onnx_chainer.functions.converter.FunctionConverterParams):
            the function, opset, input and output names and export context.

    Returns:
        tuple of onnx.NodeProto: the node.

    """
    func = params.func
    (top, bottom), (left, right) = func.pad
    W_shape = func.inputs[1].shape
    gb = onnx_helper.GraphBuilder()
    gb.op_output_named(
        'Conv', params.input_names, params.output_names,
        kernel_shape=list(W_shape[2:]), pads=[top, left, bottom, right],
        strides=list(func.stride), dilations=list(func.dilate),
        group=W_shape[0])
    return gb.nodes()


def _convert_pointwise_convolution_2d(params):
    """Converts :func:`sparsemask.functions.pointwise_convolution_2d` to a
    1x1 ``Conv``.

    Args:
        params (onnx_chainer.functions.converter.FunctionConverterParams):
            the function, opset, input and output names and export context.

    Returns:
        tuple of onnx.NodeProto: the node.

    """
    gb = onnx_helper.GraphBuilder()
    gb.op_output_named(
        'Conv', params.input_names, params.output_names,
        kernel_shape=[1, 1], pads=[0, 0, 0, 0], strides=[1, 1],
        dilations=[1, 1], group=1)
    return gb.nodes()


def external_converters():
    """The converters to pass to :func:`onnx_chainer.export`.

    Returns:
        dict: the ``external_converters`` argument of
        :func:`onnx_chainer.export`: converters of ``ResizeImages``,
        ``FDNStageFunction``, ``DepthwiseConvolution2D`` and
        ``PointwiseConvolution2D``, keyed by the function's class name, each
        taking onnx_chainer's ``FunctionConverterParams``.

    """
    return {
        'ResizeImages': _convert_resize_images,
        'FDNStageFunction': _convert_fdn_stage,
        'DepthwiseConvolution2D': _convert_depthwise_convolution_2d,
        'PointwiseConvolution2D': _convert_pointwise_convolution_2d,
        # sparsemask.functions.resize_bilinear (bilinear, align_corners),
        # whose function has ResizeImages' attributes
        'ResizeBilinear': _convert_resize_images,
    }
