"""The performance benchmark runs and reports every contender, verified (not a timing test)."""

import os

from helpers import REPO
from scipar.problems.chamfer.performance import format_report, ratios, run_benchmark


def test_benchmark_reports_every_contender_and_ratio():
    source = os.path.join(REPO, "benchmarks", "c_baseline.c")
    results = run_benchmark((12, 40, 1), (6, 60, 2), source, workers=3, repeats=2, toy_n=12)
    labels = [(row["label"], row["threads"]) for row in results["rows"]]
    assert labels[0][0].startswith("C loop") and ("cython-pruned", 1) in labels and ("numba-workshop", 1) in labels
    assert ("cython-pruned prange", 2) in labels and ("cython-pruned prange", 3) in labels  # every worker count
    assert all(row["verified"] and row["seconds"] > 0 for row in results["rows"])
    assert all(row["pairs_per_s"] == results["pairs"] / row["seconds"] for row in results["rows"])
    assert 0 < results["evaluated"] <= 1  # a share of the point pairs, counted by the solver
    assert results["flags"]["numba"] == "numba: fastmath=contract,ninf,nnan,nsz"
    assert results["flags"]["cython"].startswith("cython: ") and "-ffinite-math-only" in results["flags"]["cython"]
    assert len(ratios(results)) == 10 and all(value > 0 for _, value, _ in ratios(results))
    text = format_report(results)
    assert "ratios (goal):" in text and "point pairs" in text and "parallel efficiency on 3 threads" in text


def test_numba_and_cython_kernels_give_the_same_distances_with_equal_flags():
    """Equal permissions, no reassociation: the same sums in the same order, so the two
    compilers' matrices agree to rounding on the paper problem's smaller sibling (bit
    for bit where both contract a*b + c into the CPU's fused multiply-add)."""
    import numpy as np

    import scipar

    L, R = scipar.gen_clusters(40, 200, 1), scipar.gen_clusters(20, 450, 2)
    numba, cython = scipar.chamfer_matrix(L, R, "numba"), scipar.chamfer_matrix(L, R, "cython")
    assert np.allclose(numba, cython, rtol=1e-15, atol=0)
