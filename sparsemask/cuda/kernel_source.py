import os


_REPO_KERNELS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))), 'kernels')


def kernel_path(name):
    """Finds a CUDA source shipped with the package.

    Installed, the ``kernels/`` directory is the package
    ``sparsemask.kernels``; in a source checkout (editable install) it is
    the repository's ``kernels/``.

    Args:
        name (str): a file name such as ``'fdn_stage.cu'``.

    Returns:
        str: the path.

    """
    try:
        import sparsemask.kernels as package
        path = os.path.join(os.path.dirname(package.__file__), name)
        if os.path.exists(path):
            return path
    except ImportError:
        pass
    path = os.path.join(_REPO_KERNELS, name)
    if not os.path.exists(path):
        raise IOError('CUDA source {} not found (looked in the installed '
                      'sparsemask.kernels and in {})'.format(
                          name, _REPO_KERNELS))
    return path


def kernel_source(name):
    """Returns the text of a CUDA source, see :func:`kernel_path`."""
    with open(kernel_path(name)) as f:
        return f.read()
