"""CUDA C sources of SparseMask (installed as ``sparsemask.kernels``)."""
