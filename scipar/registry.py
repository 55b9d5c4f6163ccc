"""Every implementation, registered once with its traits.

Kernels are named by "module:attribute" and imported on first use, so that listing the
implementations (or validating a config) neither imports Numba nor compiles anything.
"""

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Implementation:
    name: str
    problem: str  # "chamfer" or "toy"
    compiled: bool  # machine code (Numba, Cython, C inside NumPy/SciPy), not bytecode
    releases_gil: bool  # threads running it can use several cores
    parallel_inside: bool  # can spread one call over threads itself (backend "prange")
    description: str
    target: str  # "module:attribute" of the kernel
    solver_target: str = ""  # "module:attribute" of a solver that skips work, if any

    @property
    def kernel(self):
        return _load(self.target)

    @property
    def solver(self):
        """solve_rows(L, R, start, stop, workers) of its own, or None."""
        return _load(self.solver_target) if self.solver_target else None


def _load(target):
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


_REGISTRY = {}


def register(name, problem, compiled, releases_gil, parallel_inside, description, target, solver=""):
    if (problem, name) in _REGISTRY:
        raise ValueError(f"implementation {name!r} of {problem!r} is registered twice")
    _REGISTRY[problem, name] = Implementation(
        name, problem, compiled, releases_gil, parallel_inside, description, target, solver
    )


# Chamfer: each kernel computes rows [start, stop) of the |L| x |R| distance matrix.
CH = "scipar.chamfer_python"
NB = "scipar.chamfer_numba"
for args in [
    ("python", False, False, False, "the workshop's loops, Euclidean distance", f"{CH}:python_block"),
    ("mapreduce", False, False, False, "the workshop's map/reduce, per-cluster means", f"{CH}:mapreduce_block"),
    ("numpy", True, False, False, "vectorised over the points of a cluster pair", f"{CH}:numpy_block"),
    ("reference", True, False, False, "scipy.spatial.cKDTree nearest neighbours", f"{CH}:reference_block"),
    ("numba-workshop", True, True, False, "the workshop's @jit kernel shape (np.dot on row slices)", f"{NB}:workshop_block"),
    ("numba-signature", True, True, False, "the same with the workshop's float64[:,:] signature", f"{NB}:signature_block"),
    ("numba", True, True, True, "fused directions, contiguous arrays, squared distances", f"{NB}:fused_block"),
    ("cython", True, True, True, "typed memoryviews, nogil, OpenMP prange, vectorised min", "scipar._chamfer_cy:fused_block"),
    # The fastest: cython's kernel, and a solve that skips pairs which cannot be nearest.
    ("cython-pruned", True, True, True, "cython, skipping pairs proved not nearest (solve only)",
     "scipar._chamfer_cy:fused_block", "scipar._chamfer_cy:pruned_solve"),
]:
    register(args[0], "chamfer", *args[1:])

# Toy kernel: each target is a dict {variant: function(n) -> float}.
for args in [
    ("python", False, False, False, "pure Python loops", "scipar.toy:PYTHON"),
    ("cython", True, True, False, "typed Cython loops, nogil", "scipar.toy:CYTHON"),
    ("numba-gil", True, False, False, "@njit holding the GIL", "scipar.toy:NUMBA_GIL"),
    ("numba-nogil", True, True, False, "@njit(nogil=True)", "scipar.toy:NUMBA_NOGIL"),
]:
    register(args[0], "toy", *args[1:])


def implementations(problem="chamfer"):
    """The registered implementations of `problem` ("chamfer" or "toy"), by name."""
    if problem not in {p for p, _ in _REGISTRY}:
        raise ValueError(f"unknown problem {problem!r}; known: chamfer, toy")
    return {name: impl for (p, name), impl in _REGISTRY.items() if p == problem}


def get_implementation(name, problem="chamfer"):
    known = implementations(problem)
    if name not in known:
        raise ValueError(
            f"unknown {problem} implementation {name!r}; known: {', '.join(sorted(known))}"
        )
    return known[name]
