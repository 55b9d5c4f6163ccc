"""scipar: measure what JIT compilation, Cython, vectorisation, threads and processes buy.

The public API is loaded lazily, so that `scipar.measure.layers.pin_threads` can set
NUMBA_NUM_THREADS and the BLAS/OpenMP variables before anything imports Numba.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Problem": "scipar.problems",
    "Implementation": "scipar.problems",
    "VerificationError": "scipar.problems",
    "PluginError": "scipar.problems",
    "declare": "scipar.problems",
    "Split": "scipar.problems",
    "get_problem": "scipar.problems",
    "problems": "scipar.problems",
    "implementations": "scipar.problems",
    "get_implementation": "scipar.problems",
    "ClusterSet": "scipar.problems.chamfer.datasets",
    "DatasetError": "scipar.npz",
    "gen_clusters": "scipar.problems.chamfer.datasets",
    "load_clusters": "scipar.problems.chamfer.datasets",
    "save_clusters": "scipar.problems.chamfer.datasets",
    "chamfer_matrix": "scipar.problems.chamfer.solve",
    "solve": "scipar.problems.chamfer.solve",
    "check_solution": "scipar.problems.chamfer.solve",
    "nearest": "scipar.problems.chamfer.solve",
    "toy_kernel": "scipar.problems.toy.kernels",
    "run_toy": "scipar.problems.toy.kernels",
    "BACKENDS": "scipar.measure.parallel",
    "Timer": "scipar.measure.timer",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'scipar' has no attribute {name!r}")
