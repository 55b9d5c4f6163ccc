"""scipar: measure what JIT compilation, Cython, vectorisation, threads and processes buy.

The public API is loaded lazily, so that `scipar.layers.pin_threads` can set
NUMBA_NUM_THREADS and the BLAS/OpenMP variables before anything imports Numba.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "ClusterSet": "scipar.datasets",
    "DatasetError": "scipar.datasets",
    "gen_clusters": "scipar.datasets",
    "load_clusters": "scipar.datasets",
    "save_clusters": "scipar.datasets",
    "chamfer_matrix": "scipar.chamfer",
    "solve": "scipar.chamfer",
    "check_solution": "scipar.chamfer",
    "VerificationError": "scipar.chamfer",
    "implementations": "scipar.registry",
    "get_implementation": "scipar.registry",
    "BACKENDS": "scipar.parallel",
    "toy_kernel": "scipar.toy",
    "nearest": "scipar.chamfer",
    "run_toy": "scipar.toy",
    "Timer": "scipar.timer",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'scipar' has no attribute {name!r}")
