"""Keep exactly one parallel layer at p workers and every other layer at 1.

Numba reads NUMBA_NUM_THREADS once, when it is imported, and OpenMP and the BLAS
libraries read their variables when they start: call `pin_threads` first thing in a
process, before importing numpy or numba (this module imports neither).
"""

import os

# Thread pools that could run under our feet: BLAS (numpy, scipy), OpenMP, numexpr.
INNER_POOLS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def pin_threads(workers, backend):
    """Set the environment so that only `backend` runs `workers` threads.

    For backend "prange" Numba's and OpenMP's pools hold `workers` threads (the
    kernels also ask for exactly that many at each call); for every other backend
    each pool holds one thread, so a threaded or multi-process driver is the only
    layer that runs in parallel.
    """
    inner = workers if backend == "prange" else 1
    for name in INNER_POOLS:
        os.environ[name] = "1"
    os.environ["OMP_NUM_THREADS"] = str(inner)
    os.environ["NUMBA_NUM_THREADS"] = str(max(inner, 1))
    return dict(os.environ)
