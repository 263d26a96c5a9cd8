"""CUDA C sources of SparseMask, their launch code and a CPU emulator.

Installed as ``sparsemask.kernels``; in a source checkout the top-level
package ``kernels``. It imports NumPy only (CuPy lazily, no Chainer), so
that the kernels can be checked with a GPU machine's own Python (NumPy 2,
CuPy 14), from the repository root::

    python3 -c "import kernels.fdn_stage_launch"

Modules:

- ``fdn_stage.cu``: the fused FDN stage's CUDA kernels;
- :mod:`.loader`: the sources and their compilation with CuPy;
- :mod:`.fdn_stage_plan`: input grouping and interpolation tables;
- :mod:`.fdn_stage_launch`: the launch code, the NumPy twin, and the
  stage's forward and backward on arrays (what the Chainer FunctionNode
  ``sparsemask.functions.fdn_stage`` runs);
- :mod:`.emulator`: the kernels compiled by g++ and run on the CPU.

Inside this package, imports are relative: it works under both names.
"""
