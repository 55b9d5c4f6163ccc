"""scipar compare: verdicts on runs with known ratios, unequal sample counts, cells of
one run only, speedups, flags, and bad input named before anything is written."""

import os
import subprocess
import sys

import numpy as np
import pytest

from scipar.workflow.job import CSV_VERSION, write_csv_atomically
from scipar.report.compare import CompareError, Run, compare, markdown, verdict, write
from test_trust import STRONG, timings_of

SEQ = "L50-35-1_R30-23-2"


def noisy(rng, level, processes=5, repeats=3, between=0.004, within=0.002):
    """A cell's samples: each process at its own level, then samples around it."""
    return [list(level * np.exp(rng.normal(0, between) + rng.normal(0, within, repeats))) for _ in range(processes)]


def run_csv(path, cells, **extra):
    """Write a run's timings.csv from timings_of cells; returns its path."""
    table = timings_of(cells, **dict(calls=10, csv_version=CSV_VERSION) | extra)
    table["samples"] = table.groupby(["study", "impl", "backend", "workers"]).repeat.transform("size")
    write_csv_atomically(table, path)
    return str(path)


def seq(impl, samples):
    return ("chamfer", "sequential", SEQ, impl, "serial", 1, samples)


def test_verdicts_in_words():
    assert verdict(1.0, 0.98, 1.02) == "no change"
    assert verdict(1.10, 1.07, 1.13) == "slower" and verdict(0.9, 0.88, 0.92) == "faster"
    assert verdict(1.10, 0.95, 1.3) == "inconclusive"  # interval reaches 1
    assert verdict(1.03, 1.01, 1.06) == "inconclusive"  # a change, maybe within the margin
    assert verdict(1.2, np.nan, np.nan) == "inconclusive"
    assert verdict(1.2, 1.1, 1.3, words=("lower", "higher")) == "higher"


def test_known_ratios_equal_ten_percent_slower_and_too_noisy(tmp_path):
    rng = np.random.default_rng(11)
    base = run_csv(tmp_path / "base/tables/timings.csv", [
        seq("python", noisy(rng, 8.0)), seq("numba", noisy(rng, 0.02)), seq("cython", noisy(rng, 0.015))])
    new = run_csv(tmp_path / "new/tables/timings.csv", [
        seq("python", noisy(rng, 8.0)), seq("numba", noisy(rng, 0.022)),
        seq("cython", noisy(rng, 0.015, processes=3, between=0.3))])
    result = compare(Run(tmp_path / "base"), Run(tmp_path / "new"))  # folders are found by their tables
    cells = result["cells"].set_index("impl")
    assert cells.loc["python", "verdict"] == "no change"
    assert cells.loc["numba", "verdict"] == "slower"
    assert cells.loc["numba", "ratio_ci_low"] < 1.1 < cells.loc["numba", "ratio_ci_high"]
    assert cells.loc["cython", "verdict"] == "inconclusive"
    assert list(cells.flagged) == [c == "cython" for c in cells.index]  # too noisy: unstable, wide interval
    assert "wide interval" in cells.loc["cython", "new_flags"] and result["only"] == [] and result["provenance"] == []
    assert result["overall"]["cells"] == 3 and result["overall"]["ratio"][0] == pytest.approx(1.1 ** (1 / 3), rel=0.03)
    assert base != new


def test_equal_runs_are_rarely_called_faster_or_slower(tmp_path):
    # 40 pairs of runs of the same code: a verdict of a change is a false positive.
    rng = np.random.default_rng(5)
    calls = []
    for k in range(40):
        paths = [run_csv(tmp_path / f"{k}{side}.csv", [seq("numba", noisy(rng, 1.0, processes=3, between=0.03))])
                 for side in "ab"]
        calls.append(compare(Run(paths[0]), Run(paths[1]))["cells"].verdict.iloc[0])
    assert sum(v in ("faster", "slower") for v in calls) <= 2


def test_unequal_sample_counts_weigh_as_they_should(tmp_path):
    # The same spread between processes (+-2 %): 2 processes know it less well than 8.
    def run(name, processes, repeats):
        levels = np.linspace(0.98, 1.02, processes)
        return run_csv(tmp_path / name, [seq("numba", [[level] * repeats for level in levels])])

    many, few, more = run("many.csv", 8, 5), run("few.csv", 2, 2), run("more.csv", 8, 5)
    wide = compare(Run(many), Run(few))["cells"].iloc[0]
    narrow = compare(Run(many), Run(more))["cells"].iloc[0]
    assert (wide.base_samples, wide.new_samples, wide.new_processes) == (40, 4, 2)
    assert np.log(wide.ratio_ci_high / wide.ratio_ci_low) > 3 * np.log(narrow.ratio_ci_high / narrow.ratio_ci_low)
    assert wide.ratio_ci_low < 1 < wide.ratio_ci_high and wide.verdict == "inconclusive"
    assert narrow.verdict == "no change"


def test_cells_of_one_run_speedups_and_flags(tmp_path):
    rng = np.random.default_rng(4)
    base = run_csv(tmp_path / "base.csv", [
        seq("python", noisy(rng, 8.0)), ("strong", "strong", STRONG, "cython", "threads", 1, noisy(rng, 1.0)),
        ("strong", "strong", STRONG, "cython", "threads", 2, noisy(rng, 0.55))])
    new = run_csv(tmp_path / "new.csv", [
        seq("numba", noisy(rng, 0.02)), ("strong", "strong", STRONG, "cython", "threads", 1, noisy(rng, 1.0)),
        ("strong", "strong", STRONG, "cython", "threads", 2, noisy(rng, 0.8))], others_cores=0.9)  # a busy machine
    result = compare(Run(base), Run(new))
    assert sorted(result["only"]) == [("BASE", f"chamfer {SEQ} python serial x1"), ("NEW", f"chamfer {SEQ} numba serial x1")]
    speedup = result["cells"].set_index(["quantity", "workers"]).loc[("speedup", 2)]
    assert speedup.verdict == "lower" and speedup.ratio == pytest.approx(0.55 / 0.8, rel=0.03)
    assert speedup.flagged and "busy machine" in speedup.new_flags and speedup.base_flags == ""
    text = markdown(result)
    assert "lower (flagged)" in text and "slower (flagged)" in text and "NEW only: chamfer" in text


def test_what_differs_between_the_runs_and_hostile_text_is_inert(tmp_path):
    rng = np.random.default_rng(8)
    name = "x|<a href='javascript:alert(1)'>[y](z)"
    base = run_csv(tmp_path / "base.csv", [seq(name, noisy(rng, 1.0))], host="laptop", numba="0.60.0")
    new = run_csv(tmp_path / "new.csv", [seq(name, noisy(rng, 1.0))], host="node7", numba="0.61.0")
    result = compare(Run(base), Run(new))
    assert ("host", "laptop", "node7") in result["provenance"] and ("numba", "0.60.0", "0.61.0") in result["provenance"]
    text = markdown(result)
    assert name not in text and "<a" not in text and r"x\|&lt;a href='javascript:alert(1)'&gt;[y]\(z)" in text


def test_bad_input_is_named_and_nothing_is_written(tmp_path):
    rng = np.random.default_rng(9)
    good = run_csv(tmp_path / "good.csv", [seq("numba", noisy(rng, 1.0))])
    other = run_csv(tmp_path / "other.csv", [seq("cython", noisy(rng, 1.0))])
    with pytest.raises(CompareError, match="no cell in common"):
        compare(Run(good), Run(other))
    bigger = run_csv(tmp_path / "bigger.csv", [seq("numba", noisy(rng, 1.0))], work=500)
    with pytest.raises(CompareError, match=f"(?s)1 of 1 common cells measure different problems.*chamfer {SEQ} numba serial x1: "
                                           "BASE chamfer, 10 point pairs per call; NEW chamfer, 50 point pairs"):
        compare(Run(good), Run(bigger))
    older = run_csv(tmp_path / "older.csv", [seq("numba", noisy(rng, 1.0))], csv_version=1)
    with pytest.raises(CompareError, match="older.csv has scipar CSV version 1.*version 2"):
        compare(Run(older), Run(good))
    text = open(good).read()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.rindex("\n", 0, len(text) - 1)] + "\n")  # the last sample row lost
    with pytest.raises(CompareError, match="cut.csv: .*sample rows, but the job recorded 15 samples"):
        Run(cut)
    os.mkfifo(tmp_path / "fifo.csv")  # read, it would block forever
    with pytest.raises(CompareError, match="fifo.csv: a FIFO, not a regular file"):
        Run(tmp_path / "fifo.csv")
    with pytest.raises(CompareError, match="a folder without tables/timings.csv"):
        Run(tmp_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "scipar", "compare", good, str(cut), "--out", str(out)]
    failed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2 and "scipar compare: error: " in failed.stderr and "cut.csv" in failed.stderr
    assert not out.exists()


def test_the_command_prints_and_writes_the_comparison(tmp_path):
    rng = np.random.default_rng(3)
    base = run_csv(tmp_path / "base.csv", [seq("numba", noisy(rng, 1.0)), seq("python", noisy(rng, 9.0))])
    new = run_csv(tmp_path / "new.csv", [seq("numba", noisy(rng, 1.3)), seq("python", noisy(rng, 9.0))])
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "scipar", "compare", base, new, "--margin", "0.03", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2 cells in both runs, per-call times: 0 faster, 1 slower, 1 no change, 0 inconclusive" in done.stdout
    assert "+-3%" in done.stdout
    assert sorted(os.listdir(out)) == ["compare.csv", "compare.md", "compare.png", "compare.svg"]
    bad = subprocess.run([sys.executable, "-m", "scipar", "compare", base, new, "--margin", "5"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "the margin is a fraction between 0 and 1" in bad.stderr


def test_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    rng = np.random.default_rng(6)
    paths = [run_csv(tmp_path / f"{side}.csv", [seq("numba", noisy(rng, 1.0))]) for side in "ab"]
    result = compare(Run(paths[0]), Run(paths[1]))

    def broken(*args):
        raise RuntimeError("the figure failed")

    monkeypatch.setattr("scipar.report.figures.compare_figure", broken)
    with pytest.raises(RuntimeError):
        write(result, tmp_path / "c.csv", tmp_path / "c.md", [tmp_path / "c.png"])
    assert not any(os.path.exists(tmp_path / name) for name in ("c.csv", "c.md", "c.png"))
