"""The export of a trained model to ONNX, checked against Chainer."""

import os
import sys
import tempfile

import numpy

from sparsemask.training.config import ConfigError
from sparsemask.training.load_trained_model import load_trained_model
from sparsemask.utils.check_writable import check_writable


def random_input(model, size, seed=0):
    """A random normalised image ``(1, 3, H, W)``.

    Args:
        model (~sparsemask.links.SparseMask): the model (its backbone's
            ``mean`` and ``std``).
        size (tuple of int): ``(H, W)``.
        seed (int): the seed.

    Returns:
        numpy.ndarray: uniform pixels in [0, 255] normalised with the
        model's mean and std, float32.

    """
    rng = numpy.random.RandomState(seed)
    img = rng.uniform(0, 255, (1, 3) + tuple(size))
    x = (img - model.mean[None]) / model.std[None]
    return x.astype(numpy.float32)


def _output_path(output, out, model):
    if output is not None:
        return output
    if out is not None:
        return os.path.join(out, 'model.onnx')
    if model is not None:
        return os.path.join(os.path.dirname(os.path.abspath(model)),
                            'model.onnx')
    raise ConfigError('give the out directory of a run, or --config with '
                      '--model')


def _size(size, config):
    if size is not None:
        return tuple(size)
    crop = config['train']['crop_size']
    if isinstance(crop, (list, tuple)):
        return tuple(int(s) for s in crop)
    return int(crop), int(crop)


def _check_extra():
    try:
        import onnx  # NOQA
        import onnxruntime  # NOQA
    except ImportError as e:
        raise ConfigError(
            'exporting needs onnx and onnxruntime (the onnx extra): pip '
            'install -c constraints.txt -e ".[onnx]" ({})'.format(e))


def export_trained_model(out=None, config=None, model=None, arch=None,
                         overrides=(), output=None, size=None, opset=11,
                         tolerance=1e-4, seed=0, log=None):
    """Exports a trained model to ONNX and checks the file against Chainer.

    The model is exported as it is built (with the fused FDN-stage op
    unless its config says ``model.fused: false``) in test mode, for
    inputs of one fixed shape ``(1, 3, H, W)``. The file is run with ONNX
    Runtime on a random input (:func:`random_input`) and compared with
    Chainer; it is written to ``output`` only when the largest absolute
    difference is within ``tolerance`` (exported beside the destination
    and moved into place, so a failed run leaves it as it was).

    Args:
        out (str): the ``--out`` directory of a training run, or None with
            ``config`` and ``model``.
        config, model, arch, overrides: the model (see
            :func:`~sparsemask.training.load_trained_model`).
        output (str): the ONNX file (default: ``out/model.onnx``, or
            ``model.onnx`` beside ``model``).
        size (tuple of int): the input ``(H, W)`` (default: the config's
            ``train.crop_size``).
        opset (int): the ONNX opset version.
        tolerance (float): the largest absolute difference from Chainer
            accepted.
        seed (int): seed of the random check input.
        log (file): where to print the result (default: ``sys.stdout``).

    Returns:
        float: the largest absolute difference from Chainer.

    Raises:
        ~sparsemask.training.ConfigError: if the run, the files or an
            option is invalid, or the ``onnx`` extra is missing.
        OSError: if the ONNX file cannot be written (checked before the
            export); the error names the file as given.
        ValueError: if the exported model does not match Chainer.

    """
    log = log or sys.stdout
    _check_extra()
    from sparsemask.export import check_onnx
    from sparsemask.export import export_onnx
    from sparsemask.export.export_onnx import MAXIMUM_OPSET
    from sparsemask.export.external_converters import MINIMUM_OPSET

    if not tolerance >= 0:
        raise ConfigError('--tolerance must be >= 0, not {}'.format(
            tolerance))
    if not MINIMUM_OPSET <= opset <= MAXIMUM_OPSET:
        raise ConfigError(
            '--opset {}: supported are {} to {} (resizing with '
            'align_corners needs {}; onnx_chainer writes valid graphs up to '
            '{})'.format(opset, MINIMUM_OPSET, MAXIMUM_OPSET,
                         MINIMUM_OPSET, MAXIMUM_OPSET))
    if output is not None:
        check_writable(output)
    net, config = load_trained_model(out=out, config=config, model=model,
                                     arch=arch, overrides=overrides)
    given = _output_path(output, out, model)
    if output is None:
        # beside the model, which exists now
        check_writable(given)
    path = os.path.abspath(given)
    directory = os.path.dirname(path)
    size = _size(size, config)
    x = random_input(net, size, seed)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix='.' + os.path.basename(path) + '.', suffix='.tmp',
            dir=directory)
        os.close(fd)
        export_onnx(net, x, tmp, opset=opset)
        diff = check_onnx(net, x, tmp)
        if not diff <= tolerance:
            raise ValueError(
                'the ONNX model differs from Chainer by {:.3g} (max abs, on '
                'a random input 1x3x{}x{}), more than --tolerance {:g}; '
                'it was not written to {}'.format(
                    diff, size[0], size[1], tolerance, path))
        nbytes = os.path.getsize(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and e.errno and e.strerror:
            # the error of a hidden temporary file names the output
            if tmp is None or e.filename in (tmp, None):
                e.filename, e.filename2 = given, None
        raise
    log.write('max abs difference onnxruntime vs chainer: {:.3g} '
              '(tolerance {:g}, input 1x3x{}x{}, opset {})\n'.format(
                  diff, tolerance, size[0], size[1], opset))
    log.write('wrote {} ({:.2f} MiB, {} bytes)\n'.format(
        path, nbytes / 2 ** 20, nbytes))
    log.flush()
    return diff
