"""Loading a script of ``eval/`` or ``train/`` (not packages) as a module."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_script(path, name=None):
    """Imports a script by its path (its ``main()`` does not run).

    Args:
        path (str): the script, relative to the repository root (or
            absolute).
        name (str): the module name (default: the file's base name).

    Returns:
        module

    """
    path = os.path.join(ROOT, path)
    name = name or os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
