class GPUUnavailableError(RuntimeError):
    """A GPU was requested (``--gpu N``) and CuPy cannot use it.

    A user error (the environment is the user's to fix): scripts report it
    as one ``error:`` line.

    """
