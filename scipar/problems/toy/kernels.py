"""The workshop's toy kernel: an N^4 loop nest that only computes.

Two variants of the loop body:
- overwrite: the workshop's body. `out` is overwritten on every iteration, so the result
  depends only on the last one and an optimising compiler deletes the loops (defect 1):
  compiled timings of this variant measure an empty loop nest.
- accumulate: adds every square root to `out`, so no compiler can delete the loops.
  The compiled versions may reassociate the sum (Numba fastmath={"reassoc"}, gcc
  -fassociative-math) so that they can vectorise it; their result then differs from
  the interpreter's in the last digits (relative 1e-9 at most for n <= 1000).
"""

from scipar.measure.parallel import parallel_map
from scipar.problems.registry import get_implementation
from scipar.problems.toy import VARIANTS, _toy_cy, spellings


# Pure Python, two spellings of the same arithmetic (spellings.py: why they differ on a
# free-threaded CPython).
PYTHON, PYTHON_LOCAL = spellings.WORKSHOP, spellings.LOCAL_SQRT
overwrite, accumulate = spellings.overwrite, spellings.accumulate
CYTHON = {"overwrite": _toy_cy.overwrite, "accumulate": _toy_cy.accumulate}


def _kernel(n, impl, variant):
    """The kernel function asked for, after checking every argument."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown toy variant {variant!r}; known: {', '.join(VARIANTS)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"toy kernel n must be a non-negative integer, got {n!r}")
    return get_implementation(impl, "toy").kernel[variant]


def toy_kernel(n, impl="python", variant="accumulate"):
    """Run the toy kernel once with the named implementation and variant."""
    return float(_kernel(n, impl, variant)(n))


def run_toy(n, impl="python", variant="accumulate", calls=1, backend="serial", workers=1, timer=None):
    """Make `calls` calls of the toy kernel spread over `workers` of `backend`.

    This is the workshop's GIL demonstration: with threads, only a kernel that releases
    the GIL runs on several cores. CPU time of worker processes goes into `timer`.
    Returns the list of results.
    """
    _kernel(n, impl, variant)
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise ValueError(f"calls must be an integer >= 1, got {calls!r}")
    return parallel_map(toy_kernel, [(n, impl, variant)] * calls, backend, workers, timer)
