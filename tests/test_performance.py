"""The performance benchmark runs and reports every contender, verified (not a timing test)."""

import os
import sys

import numpy as np

from helpers import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))  # the benchmark's logic lives beside its script
from chamfer_benchmark import SLOW, format_report, interleaved_times, ratios, run_benchmark, verdict  # noqa: E402


def test_benchmark_reports_every_contender_and_ratio():
    source = os.path.join(REPO, "benchmarks", "c_baseline.c")
    results = run_benchmark((12, 40, 1), (6, 60, 2), source, workers=3, repeats=3, toy_n=12, toy_repeats=2)
    labels = [(row["label"], row["threads"]) for row in results["rows"]]
    assert labels[0][0].startswith("C loop") and ("cython-pruned", 1) in labels and ("numba-workshop", 1) in labels
    assert ("cython-pruned prange", 2) in labels and ("cython-pruned prange", 3) in labels  # every worker count
    by = {(row["label"], row["threads"]): row for row in results["rows"]}
    assert all(row["verified"] and row["seconds"] == np.median(row["times"]) > 0 for row in results["rows"])
    assert all(row["pairs_per_s"] == results["pairs"] / row["seconds"] for row in results["rows"])
    assert len(by["cython-pruned", 1]["times"]) == 3 and len(by["reference", 1]["times"]) == SLOW["reference"]
    assert 0 < results["evaluated"] <= 2  # point-pair evaluations, counted by the solver, over the point pairs
    assert results["flags"]["numba"] == "numba: fastmath=contract,ninf,nnan,nsz"
    assert results["flags"]["cython"].startswith("cython: ") and "-ffinite-math-only" in results["flags"]["cython"]
    table = ratios(results)
    assert len(table) == 10 and all(low <= value <= high and value > 0 for _, value, low, high, _, _ in table)
    # Paired: the rate ratio is the median of the rounds' own ratios, not a ratio of medians.
    rate = next(row for row in table if row[0] == "cython-pruned rate / C loop rate, one thread")
    rounds = np.array(by[labels[0]]["times"]) / np.array(by["cython-pruned", 1]["times"])
    assert rate[1] == np.median(rounds) and rate[4] == 10.0
    assert "one sample" in next(row[5] for row in table if row[0].startswith("numba-workshop"))
    text = format_report(results)
    assert "ratios [bootstrap 95 % interval]" in text and "point pairs" in text and "parallel efficiency on 3 threads" in text


def test_a_goal_is_met_only_when_its_whole_interval_is():
    assert "met: its whole interval" in verdict(11.0, 10.2, 10.0)
    assert "median only" in verdict(10.5, 9.6, 10.0)
    assert "NOT MET" in verdict(9.5, 9.0, 10.0) and verdict(3.0, 2.0, None) == ""


def test_interleaved_rounds_rotate_the_order():
    calls = []
    contenders = [(key, lambda key=key: calls.append(key) or key) for key in "abc"]
    times, answers = interleaved_times(contenders, 3)
    assert calls == list("abcbcacab") and answers == {"a": "a", "b": "b", "c": "c"}
    assert all(len(t) == 3 and min(t) >= 0 for t in times.values())


def test_numba_and_cython_kernels_give_the_same_distances_with_equal_flags():
    """Equal permissions, no reassociation: the same sums in the same order, so the two
    compilers' matrices agree to rounding on the paper problem's smaller sibling (bit
    for bit where both contract a*b + c into the CPU's fused multiply-add)."""
    import scipar

    L, R = scipar.gen_clusters(40, 200, 1), scipar.gen_clusters(20, 450, 2)
    numba, cython = scipar.chamfer_matrix(L, R, "numba"), scipar.chamfer_matrix(L, R, "cython")
    assert np.allclose(numba, cython, rtol=1e-15, atol=0)
