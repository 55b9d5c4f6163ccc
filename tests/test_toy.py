import itertools
import math

import pytest

import scipar
from scipar.problems import get_problem

TOY_IMPLS = sorted(scipar.implementations("toy"))


def accumulate_by_definition(n):
    # Sum over the 4-subsets m > l > j > i of range(n) of sqrt(i + 4).
    return math.fsum(math.sqrt(i + 4) for i, _, _, _ in itertools.combinations(range(n), 4))


@pytest.mark.parametrize("n", [0, 3, 4, 5, 9, 23])
def test_every_implementation_agrees(n):
    overwrite = {impl: scipar.toy_kernel(n, impl, "overwrite") for impl in TOY_IMPLS}
    accumulate = {impl: scipar.toy_kernel(n, impl, "accumulate") for impl in TOY_IMPLS}
    # The overwrite body leaves (i + 4) from the last iteration, i = n - 4.
    assert all(v == pytest.approx(n if n >= 4 else 0.0, rel=1e-14) for v in overwrite.values()), overwrite
    expected = accumulate_by_definition(n)
    assert all(v == pytest.approx(expected, rel=1e-9) for v in accumulate.values()), accumulate


def test_work_counts_loop_iterations():
    toy = get_problem("toy")
    for n in (0, 3, 4, 5, 9):
        assert toy.work(dict(variant="accumulate", n=n)) == sum(1 for _ in itertools.combinations(range(n), 4))


@pytest.mark.parametrize("impl", TOY_IMPLS)
@pytest.mark.parametrize("backend, workers", [("serial", 1), ("threads", 2), ("processes", 2), ("threads", 3)])
def test_run_toy_makes_every_call(impl, backend, workers):
    results = scipar.run_toy(15, impl, "accumulate", calls=5, backend=backend, workers=workers)
    assert len(results) == 5
    assert all(r == pytest.approx(accumulate_by_definition(15), rel=1e-9) for r in results)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(impl="fortran"), "unknown toy implementation 'fortran'"),
        (dict(variant="sum"), "unknown toy variant 'sum'"),
        (dict(n=-1), "n must be a non-negative integer"),
        (dict(calls=0), "calls must be an integer >= 1"),
        (dict(backend="prange", workers=2), "'prange' parallelises inside one kernel call"),
        (dict(backend="threads", workers=0), "workers must be an integer >= 1"),
    ],
)
def test_bad_toy_arguments(kwargs, message):
    args = dict(n=5, impl="python", variant="accumulate", calls=2, backend="serial", workers=1) | kwargs
    with pytest.raises(ValueError, match=message):
        scipar.run_toy(**args)
