"""The workshop's toy kernel as a problem: an N^4 loop nest that only computes.

An instance is a loop body (variant: overwrite, the workshop's, whose loops compilers
delete; accumulate, which keeps every iteration) and n; its name is {variant}-n{n}.
The answer is one float, checked against a closed form; one solve cannot be split, so
the toy kernel has no strong or weak scaling: the gil study spreads whole calls.
"""

import math

import numpy as np

from scipar._build_info import KERNEL_FLAGS
from scipar.problems.interface import Implementation, Problem, VerificationError

VARIANTS = ("overwrite", "accumulate")


def closed_form(n, variant):
    """The toy kernel's value without running the loop nest.

    overwrite leaves (i + 4) of the last iteration, i = n - 4. accumulate adds sqrt(i + 4)
    once for each (j, l, m) with i < j < l < m < n: C(n - 1 - i, 3) times.
    """
    if variant == "overwrite":
        return float(n) if n >= 4 else 0.0
    return math.fsum(math.sqrt(i + 4) * math.comb(n - 1 - i, 3) for i in range(max(n - 3, 0)))


class Toy(Problem):
    name = "toy"
    description = "the workshop's N^4 loop nest of square roots"
    work_unit = "loop iterations"
    parameters = {
        "type": "object",
        "additionalProperties": False,
        "required": ["variant", "n"],
        "properties": {"variant": {"enum": list(VARIANTS)}, "n": {"type": "integer", "minimum": 0}},
    }

    def instance_name(self, params):
        return f"{params['variant']}-n{params['n']}"

    def instance_params(self, name):
        variant, _, n = name.partition("-n")
        if variant not in VARIANTS or not n.isdigit():
            raise ValueError(f"not a toy instance name: {name!r} (expected overwrite-n<n> or accumulate-n<n>)")
        return dict(variant=variant, n=int(n))

    def reference(self, data):
        return {"value": np.float64(closed_form(data["n"], data["variant"]))}

    def check(self, answer, reference, data):
        # Compiled accumulate reassociates the sum: equal to 1e-9 relative, not exactly.
        if not np.isclose(answer, reference["value"], rtol=1e-9, atol=0):
            raise VerificationError(f"toy kernel returned {answer!r}, expected {float(reference['value'])!r}")

    def work(self, data):
        return math.comb(data["n"], 4)

    max_rate = 1e10  # iterations per second: faster than any implementation that runs them all

    def footprint(self, params):
        return 0, self.work(params) / self.max_rate

    def describe(self, data):
        return dict(variant=data["variant"], n=data["n"], iterations=self.work(data))

    def compute(self, impl, data, task, workers=1):
        return float(impl.kernel[data["variant"]](data["n"]))


TOY = Toy()
PROBLEMS = [TOY]

# Each target is a dict {variant: function(n) -> float}.
_K, _N = "scipar.problems.toy.kernels", "scipar.problems.toy.numba_kernels"
# accumulate may reassociate its sum (kernels.py); overwrite has no sum to reorder.
_NUMBA_FLAGS = "numba: fastmath=reassoc (accumulate)"
IMPLEMENTATIONS = [
    Implementation("python", "toy", False, False, False, "pure Python loops, the workshop's (i + 4) ** 0.5",
                   f"{_K}:PYTHON"),
    Implementation("python-local", "toy", False, False, False,
                   "pure Python loops, sqrt(i + 4) with math.sqrt bound to a local: no object shared in the hot loop",
                   f"{_K}:PYTHON_LOCAL"),
    Implementation("cython", "toy", True, True, False, "typed Cython loops, nogil", f"{_K}:CYTHON",
                   build_flags=KERNEL_FLAGS["scipar.problems.toy._toy_cy"]),
    Implementation("numba-gil", "toy", True, False, False, "@njit holding the GIL", f"{_N}:NUMBA_GIL",
                   build_flags=_NUMBA_FLAGS),
    Implementation("numba-nogil", "toy", True, True, False, "@njit(nogil=True)", f"{_N}:NUMBA_NOGIL",
                   build_flags=_NUMBA_FLAGS),
]
