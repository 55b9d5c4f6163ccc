"""The performance benchmark runs and reports every contender, verified (not a timing test)."""

import os

from helpers import REPO
from scipar.problems.chamfer.performance import format_report, ratios, run_benchmark


def test_benchmark_reports_every_contender_and_ratio():
    source = os.path.join(REPO, "benchmarks", "c_baseline.c")
    results = run_benchmark((12, 40, 1), (6, 60, 2), source, workers=2, repeats=2, toy_n=12)
    labels = [row["label"] for row in results["rows"]]
    assert labels[0].startswith("C loop") and "cython-pruned" in labels and "numba-workshop" in labels
    assert all(row["verified"] and row["seconds"] > 0 for row in results["rows"])
    assert all(row["pairs_per_s"] == results["pairs"] / row["seconds"] for row in results["rows"])
    assert len(ratios(results)) == 7 and all(value > 0 for _, value, _ in ratios(results))
    text = format_report(results)
    assert "ratios (goal):" in text and "point pairs" in text
