"""Two runs compared cell by cell: is NEW faster than BASE, and how sure is that?

BASE and NEW are two results folders (or their tables/timings.csv): two machines, two
commits, two configs or two dates. Cells are matched by their configuration
(summary.CELL: study, instance, implementation, interpreter, backend, workers). Per
matched cell:

- ratio: NEW's median per-call time over BASE's, with the 95 % interval of the ratio
  of the true medians. Each run's error is estimated as its own intervals are
  (scipar.measure.stats: resample processes, then samples), so runs with different
  numbers of processes or samples weigh as they should;
- verdict: "slower" or "faster" when the interval excludes 1 and the ratio lies beyond
  the margin (default 5 %); "no change" when the whole interval lies within the
  margin; "inconclusive" otherwise, when the interval is too wide to say. A verdict
  from a flagged cell says so.

Speedups T(1)/T(p) compare the same way ("higher", "lower"): their ratio carries the
noise of all four cells. Then come the cells found in one run only, the verdicts
counted, the geometric mean ratio with its interval, and what differs between the
runs' provenance (machine, software, build flags, commit, sampling settings).
"""

import math
import os

import numpy as np
import pandas as pd

from scipar.atomic import atomic_path
from scipar.files import open_regular
from scipar.measure.stats import ratio_ci
from scipar.report import plausible
from scipar.report.escape import markdown as text
from scipar.report.cells import cell_label, with_ci
from scipar.report.summary import CELL, TimingFileError, add_scaling, check_timings, process_samples, summarise

MARGIN = 0.05
VERDICTS = ["faster", "slower", "no change", "inconclusive"]
# Where two runs can differ in ways that explain a change.
PROVENANCE = (plausible.PROVENANCE + plausible.SOFTWARE + ["python_build", "gil_enabled", "build_flags", "governor", "snakemake_threads",
                                                           "cpus_allowed"]
              + plausible.SAMPLING + ["csv_version"])
COLUMNS = ["quantity"] + CELL + [f"{run}_{k}" for run in ("base", "new") for k in
                                 ("value", "ci_low", "ci_high", "processes", "samples", "flags")] + [
    "ratio", "ratio_ci_low", "ratio_ci_high", "verdict", "flagged"]


class CompareError(ValueError):
    """Two runs that cannot be compared, or a run that cannot be read."""


def timings_path(path):
    """The timings.csv of a results folder, of a checkout (its results/), or the file named."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        open_regular(path, CompareError, "timings file").close()  # names a FIFO, a device, a missing file
        return path
    for candidate in (os.path.join(path, "tables", "timings.csv"), os.path.join(path, "results", "tables", "timings.csv")):
        if os.path.exists(candidate):
            return candidate
    raise CompareError(f"{path}: a folder without tables/timings.csv or results/tables/timings.csv: run its "
                       "workflow to the tables first (snakemake --cores N results/tables/timings.csv)")


def baseline_timings(compare_with, own):
    """The timings.csv of the config's compare_with (None where unset), checked before
    any job runs: it must exist and must not be this run's own `own`."""
    if not compare_with:
        return None
    try:
        path = timings_path(compare_with)
    except CompareError as err:
        raise CompareError(f"config: compare_with: {err}") from None
    if os.path.exists(own) and os.path.samefile(path, own):
        raise CompareError(f"config: compare_with: {compare_with} is this run's own {own}: name another run's")
    return os.path.abspath(path)


class Run:
    """One run's samples (timings.csv) and its summary, with scaling metrics."""

    def __init__(self, path):
        self.path = timings_path(path)
        try:
            self.timings = check_timings(self.path, "rebuild it (snakemake --cores N --force results/tables/timings.csv)")
        except TimingFileError as err:
            raise CompareError(str(err)) from None
        versions = set(self.timings["csv_version"]) if "csv_version" in self.timings.columns else {1}
        if any(v != v for v in versions):  # NaN: a row cut short before its last columns
            raise CompareError(f"{self.path}: a row without its csv_version (cut short: truncated?); rebuild it "
                               "(snakemake --cores N --force results/tables/timings.csv)")
        versions = {int(v) for v in versions}
        if len(versions) > 1:
            raise CompareError(f"{self.path}: holds timing CSVs of several scipar CSV versions ({sorted(versions)}): "
                               "rerun its timing jobs with one scipar")
        self.version = versions.pop()
        self.summary = add_scaling(summarise(self.timings), self.timings)
        self.cells = {tuple(r[c] for c in CELL): r for r in self.summary.to_dict("records")}
        self._samples = {key: process_samples(cell) for key, cell in self.timings.groupby(CELL)}
        self._first = self.timings.groupby(CELL).first()

    def samples(self, key):
        return self._samples[key]

    def work_per_call(self, key):
        """What one call does: (problem kind, work unit, work per call)."""
        first = self._first.loc[key]
        return first["problem_kind"], first["work_unit"], float(first["work"]) / float(first["calls"])

    def scaling(self, name):
        """The speedups of its strong and weak studies, for the figure: run named `name`."""
        cells = self.summary[self.summary.study_type.isin(["strong", "weak"])]
        return cells[CELL + ["speedup", "speedup_ci_low", "speedup_ci_high", "speedup_flags"]].assign(run=name)


def verdict(point, low, high, margin=MARGIN, words=("faster", "slower")):
    """In words: `words[1]` when the interval lies above 1 and the point beyond the
    margin, `words[0]` the same below; "no change" when the whole interval lies within
    the margin (1 / (1 + margin), 1 + margin); otherwise "inconclusive"."""
    upper, lower = 1 + margin, 1 / (1 + margin)
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive"
    if lower <= low and high <= upper:
        return "no change"
    if low > 1 and point > upper:
        return words[1]
    if high < 1 and point < lower:
        return words[0]
    return "inconclusive"


def _check_comparable(base, new, common):
    if base.version != new.version:
        raise CompareError(f"{base.path} has scipar CSV version {base.version}, {new.path} version {new.version}: "
                           "the columns mean different things; rerun the older one with this scipar")
    if not common:
        raise CompareError(f"{base.path} and {new.path} have no cell in common (matched by {', '.join(CELL)}): "
                           "were they run with the same studies?")
    different = [(key, base.work_per_call(key), new.work_per_call(key)) for key in common]
    different = [d for d in different if d[1][:2] != d[2][:2] or not math.isclose(d[1][2], d[2][2], rel_tol=1e-9)]
    if different:
        lines = [f"  {cell_label(base.cells[key])}: BASE {b[0]}, {b[2]:.6g} {b[1]} per call; NEW {n[0]}, "
                 f"{n[2]:.6g} {n[1]} per call" for key, b, n in different[:10]]
        raise CompareError(f"{len(different)} of {len(common)} common cells measure different problems under the "
                           "same name (different work per call):\n" + "\n".join(lines)
                           + "\nCompare runs of the same instances.")


def _row(quantity, key, base_cell, new_cell, base_value, new_value, ratio, flags_column, margin, words):
    flags = (base_cell.get(flags_column) or "", new_cell.get(flags_column) or "")
    flags = tuple(f if isinstance(f, str) else "" for f in flags)
    return dict(zip(CELL, key)) | dict(
        quantity=quantity,
        base_value=base_value[0], base_ci_low=base_value[1], base_ci_high=base_value[2],
        base_processes=base_cell["processes"], base_samples=base_cell["repeats"], base_flags=flags[0],
        new_value=new_value[0], new_ci_low=new_value[1], new_ci_high=new_value[2],
        new_processes=new_cell["processes"], new_samples=new_cell["repeats"], new_flags=flags[1],
        ratio=ratio[0], ratio_ci_low=ratio[1], ratio_ci_high=ratio[2],
        verdict=verdict(*ratio, margin=margin, words=words), flagged=bool(flags[0] or flags[1]),
    )


def compare(base, new, margin=MARGIN):
    """The comparison of two Runs: {"cells": one row per matched cell and quantity,
    "only": (run, cell label) of the cells of one run only, "overall": the geometric
    mean ratio of the per-call times, "provenance": [(column, BASE's, NEW's)] that differ}."""
    common = [key for key in base.cells if key in new.cells]
    _check_comparable(base, new, common)
    rows = []
    for key in common:
        b, n = base.cells[key], new.cells[key]
        value = ("wall_median_s", "wall_ci_low_s", "wall_ci_high_s")
        ratio = ratio_ci((new.samples(key), base.samples(key)), rerun=False)
        rows.append(_row("per-call time", key, b, n, [b[v] for v in value], [n[v] for v in value], ratio, "flags",
                         margin, ("faster", "slower")))
        one = key[:-1] + (1,)
        if key[-1] > 1 and one in base.cells and one in new.cells:
            # S_new / S_base = (T1_new / Tp_new) / (T1_base / Tp_base): four cells' noise
            ratio = ratio_ci((new.samples(one), new.samples(key)), (base.samples(key), base.samples(one)), rerun=False)
            value = ("speedup", "speedup_ci_low", "speedup_ci_high")
            rows.append(_row("speedup", key, b, n, [b[v] for v in value], [n[v] for v in value], ratio,
                             "speedup_flags", margin, ("lower", "higher")))
    cells = pd.DataFrame(rows, columns=COLUMNS)
    product = ratio_ci(*[(new.samples(k), base.samples(k)) for k in common], rerun=False)
    mean = tuple(v ** (1 / len(common)) for v in product)
    timed = cells[cells.quantity == "per-call time"]
    overall = dict(ratio=mean, verdict=verdict(*mean, margin=margin), cells=len(common),
                   flagged=int(timed.flagged.sum()))
    only = ([("BASE", cell_label(r)) for k, r in base.cells.items() if k not in new.cells]
            + [("NEW", cell_label(r)) for k, r in new.cells.items() if k not in base.cells])
    return dict(cells=cells, only=only, overall=overall, provenance=_provenance_differences(base, new, common),
                margin=margin, base=base.path, new=new.path,
                scaling=pd.concat([base.scaling("BASE"), new.scaling("NEW")], ignore_index=True))


def _values(timings, column):
    if column not in timings.columns:
        return "(not recorded)"
    return ", ".join(sorted(dict.fromkeys("(none)" if v != v or v == "" else str(v) for v in timings[column])))


def _provenance_differences(base, new, common):
    """What differs between the rows of the cells both runs have (a cell of one run only
    would show its own build flags as a difference)."""
    def matched(run):
        keys = run.timings[CELL].apply(tuple, axis=1)
        return run.timings[keys.isin(set(common))]

    pairs = [(c, _values(matched(base), c), _values(matched(new), c)) for c in PROVENANCE]
    return [p for p in pairs if p[1] != p[2]]


def short_flags(flags):
    """"unstable, wide interval": what each flag is, without its numbers (those are in the CSV)."""
    return ", ".join(dict.fromkeys(f.split(":")[0] for f in flags.split("; ") if f)) if flags else ""


def _verdict_text(r):
    return f"{r['verdict']} (flagged)" if r["flagged"] else r["verdict"]


def markdown(result):
    cells, overall, margin = result["cells"], result["overall"], result["margin"]
    lines = ["# Comparison", "", f"BASE: `{text(result['base'])}`", "", f"NEW: `{text(result['new'])}`", "",
             "Ratios are NEW / BASE, with the 95 % interval of the ratio of the true medians (each run's error "
             "from its processes, then its samples). A verdict needs the interval to exclude 1 and the ratio to "
             f"lie beyond +-{margin:.0%}; \"no change\" needs the whole interval within +-{margin:.0%}; a "
             "verdict marked (flagged) comes from a flagged cell: the flags columns name its flags, compare.csv "
             "holds them in full."]
    counts = cells[cells.quantity == "per-call time"].verdict.value_counts()
    speedups = cells[cells.quantity == "speedup"].verdict.value_counts()
    lines += ["", "## Summary", "",
              f"{overall['cells']} cells in both runs, per-call times: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
              + f"; {overall['flagged']} of them flagged in one run or both. Speedups of cells at more than one worker "
              "in both runs: " + (", ".join(f"{n} {v}" for v, n in speedups.items()) or "none") + ".", "",
              "Each verdict is a 95 % test: among many unchanged cells, a few in a hundred are called faster or "
              "slower by chance; a change that matters shows in the cells that share its code, and again on a rerun.",
              "",
              f"Geometric mean of the per-call time ratios: {with_ci(*overall['ratio'])}, {overall['verdict']}"
              + (f" (flagged: {overall['flagged']} of its cells are)" if overall["flagged"] else "")
              + ". It treats the cells as independent: a slowdown of the whole machine moves them all."]
    for quantity, title in (("per-call time", "Per-call time"), ("speedup", "Speedup T(1)/T(p)")):
        part = cells[cells.quantity == quantity].sort_values("ratio")
        if part.empty:
            lines += ["", f"## {title}", "", "(none: no cell ran at more than one worker in both runs)"]
            continue
        table = pd.DataFrame({
            "cell": [text(cell_label(r)) for r in part.to_dict("records")],
            "BASE [95 % CI]": [with_ci(*v) for v in zip(part.base_value, part.base_ci_low, part.base_ci_high)],
            "NEW [95 % CI]": [with_ci(*v) for v in zip(part.new_value, part.new_ci_low, part.new_ci_high)],
            "NEW / BASE [95 % CI]": [with_ci(*v) for v in zip(part.ratio, part.ratio_ci_low, part.ratio_ci_high)],
            "verdict": [_verdict_text(r) for r in part.to_dict("records")],
            "BASE flags": [text(short_flags(f)) for f in part.base_flags],
            "NEW flags": [text(short_flags(f)) for f in part.new_flags],
        })
        unit = " (seconds per call)" if quantity == "per-call time" else ""
        lines += ["", f"## {title}{unit}", "", table.to_markdown(index=False)]
    lines += ["", "## Cells in one run only", ""]
    lines += [f"- {run} only: {text(label)}" for run, label in result["only"]] or ["(none: every cell is in both runs)"]
    lines += ["", "## What differs between the runs", ""]
    if result["provenance"]:
        lines += ["| | BASE | NEW |", "|---|---|---|"]
        lines += [f"| {column} | {text(b)} | {text(n)} |" for column, b, n in result["provenance"]]
    else:
        lines.append("Nothing recorded differs: same machine, software, build flags, commit and sampling settings.")
    return "\n".join(lines) + "\n"


def write(result, csv_path=None, md_path=None, figure_paths=()):
    """Each output atomically, the figure (the likeliest to fail) first: a failure
    leaves none half-written and no table without its figure."""
    if figure_paths:
        from scipar.report.figures import compare_figure

        compare_figure(result, list(figure_paths))
    if csv_path:
        with atomic_path(csv_path) as tmp:
            result["cells"].to_csv(tmp, index=False)
    if md_path:
        with atomic_path(md_path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            f.write(markdown(result))
