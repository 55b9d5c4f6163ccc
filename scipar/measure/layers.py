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


# Set in a user's shell, these change what runs: a job measures the code as it runs by
# default, so it removes them (recording them in the CSVs' environment column).
RESET = (
    "NUMBA_DISABLE_JIT",  # every Numba kernel interpreted, at Python's speed
    "NUMBA_OPT",  # LLVM's optimisation level
    "NUMBA_BOUNDSCHECK",  # bounds checks in every array access
    "NUMBA_DEBUGINFO",
    "OMP_THREAD_LIMIT",  # caps every OpenMP region, whatever OMP_NUM_THREADS says
    "OMP_DYNAMIC",  # lets OpenMP run fewer threads than asked for
)
# These choose between ways the same code may run, which a user may mean to measure:
# kept, recorded, and flagged on every cell they reach (scipar.report.plausible).
KEPT = ("NUMBA_THREADING_LAYER",)


def user_environment(environ=None):
    """What the user's environment set that changes what runs, as the CSVs record it:
    "NUMBA_DISABLE_JIT=1 (reset); NUMBA_THREADING_LAYER=omp (kept)", or ""."""
    environ = os.environ if environ is None else environ
    return "; ".join(f"{name}={environ[name]} ({'reset' if name in RESET else 'kept'})"
                     for name in RESET + KEPT if name in environ)


def pin_threads(workers, backend):
    """Set the environment so that only `backend` runs `workers` threads, and remove
    the variables in RESET (call user_environment first to record them).

    For backend "prange" Numba's and OpenMP's pools hold `workers` threads (the
    kernels also ask for exactly that many at each call); for every other backend
    each pool holds one thread, so a threaded or multi-process driver is the only
    layer that runs in parallel.
    """
    inner = workers if backend == "prange" else 1
    for name in RESET:
        os.environ.pop(name, None)
    for name in INNER_POOLS:
        os.environ[name] = "1"
    os.environ["OMP_NUM_THREADS"] = str(inner)
    os.environ["NUMBA_NUM_THREADS"] = str(max(inner, 1))
    return dict(os.environ)
