"""The conclusion table and the differences from the workshop, from this run's summary.

Every number here is computed from this run's samples, with its bootstrap 95 %
interval, except the columns and sentences labelled as the workshop's, which come from
scipar.workshop (printed numbers). Flagged cells are listed with their reasons.
"""

import numpy as np
import pandas as pd

from scipar import workshop
from scipar.stats import median_ci, ratio_ci
from scipar.summary import CELL


def _fmt(x, digits=3):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return f"{x:.{digits}g}"


def _with_ci(x, low, high):
    """"2.1 [1.9, 2.3]": a number and its 95 % interval, or n/a."""
    return "n/a" if np.isnan(x) else f"{_fmt(x)} [{_fmt(low)}, {_fmt(high)}]"


def _where(table, **where):
    """The rows of `table` whose columns have the given values."""
    for column, value in where.items():
        table = table[table[column] == value]
    return table


def _samples(timings, column="wall_s", **where):
    return _where(timings, **where)[column].to_numpy()


def _over_problems(estimates):
    """ratio_ci of each problem's pairs; the median point over problems (seeds), and an
    interval from the lowest low to the highest high."""
    estimates = [pairs for pairs in estimates if all(len(n) and len(d) for n, d in pairs)]
    if not estimates:
        return np.nan, np.nan, np.nan
    values = np.array([ratio_ci(*pairs) for pairs in estimates]).reshape(len(estimates), 3)
    return float(np.median(values[:, 0])), float(values[:, 1].min()), float(values[:, 2].max())


def chamfer_table(summary, timings):
    """Per Chamfer implementation: sequential time, speedups with intervals, the workshop's numbers.

    speedup_vs_python is T(python) / T(impl) on the chamfer study's problems; the best
    parallel speedup is T(1) / T(p) on the strong study's problem; total_speedup is
    their product (the workshop's "x15 * 0.7N"), its interval resampling all four.
    """
    seq = _where(summary, study="chamfer")
    strong = _where(summary, study="strong")
    impls = list(dict.fromkeys(list(seq.impl) + list(strong.impl)))
    problems = sorted(seq.problem.unique())
    rows = []
    for impl in impls:
        mine = seq[seq.impl == impl].set_index("problem").wall_median_s
        sequential = [((_samples(timings, study="chamfer", impl="python", problem=p),
                        _samples(timings, study="chamfer", impl=impl, problem=p)),) for p in problems]
        row = dict(impl=impl, sequential_s=float(mine.median()) if len(mine) else np.nan)
        row.update(zip(("speedup_vs_python", "speedup_vs_python_ci_low", "speedup_vs_python_ci_high"),
                       _over_problems(sequential)))
        parallel = strong[(strong.impl == impl) & (strong.workers > 1)].dropna(subset=["speedup"])
        best = parallel.loc[parallel.speedup.idxmax()] if len(parallel) else None
        if best is not None:
            cell = dict(study="strong", impl=impl, problem=best.problem, backend=best.backend)
            scaling = (_samples(timings, workers=1, **cell), _samples(timings, workers=best.workers, **cell))
            total = _over_problems([pairs + (scaling,) for pairs in sequential])
            row.update(
                best_parallel_backend=best.backend, best_parallel_workers=int(best.workers),
                best_parallel_speedup=best.speedup, best_parallel_speedup_ci_low=best.speedup_ci_low,
                best_parallel_speedup_ci_high=best.speedup_ci_high,
                best_parallel_efficiency=best.efficiency, best_parallel_efficiency_ci_low=best.efficiency_ci_low,
                best_parallel_efficiency_ci_high=best.efficiency_ci_high,
                best_parallel_flags=best["flags"],
                total_speedup=total[0], total_speedup_ci_low=total[1], total_speedup_ci_high=total[2],
            )
        row.update(workshop_sequential_s=workshop.CHAMFER_SECONDS.get(impl, np.nan),
                   workshop_speedup_vs_python=workshop.CHAMFER_SPEEDUP.get(impl, np.nan))
        rows.append(row)
    columns = ["impl", "sequential_s"] + [
        f"{name}{k}" for name in ("speedup_vs_python",) for k in ("", "_ci_low", "_ci_high")
    ] + ["best_parallel_backend", "best_parallel_workers"] + [
        f"{name}{k}" for name in ("best_parallel_speedup", "best_parallel_efficiency") for k in ("", "_ci_low", "_ci_high")
    ] + ["best_parallel_flags", "total_speedup", "total_speedup_ci_low", "total_speedup_ci_high",
         "workshop_sequential_s", "workshop_speedup_vs_python"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    return table.sort_values("sequential_s", ascending=False, ignore_index=True)


def chamfer_markdown_table(chamfer):
    """The conclusion table as read by a person: each number beside its interval."""
    def with_ci(name):
        return [_with_ci(*v) for v in zip(chamfer[name], chamfer[name + "_ci_low"], chamfer[name + "_ci_high"])]

    return pd.DataFrame({
        "impl": chamfer.impl,
        "sequential_s": chamfer.sequential_s,
        "speedup_vs_python [95 % CI]": with_ci("speedup_vs_python"),
        "best_parallel": ["" if pd.isna(w) else f"{b} x{int(w)}"
                          for b, w in zip(chamfer.best_parallel_backend, chamfer.best_parallel_workers)],
        "speedup [95 % CI]": with_ci("best_parallel_speedup"),
        "efficiency [95 % CI]": with_ci("best_parallel_efficiency"),
        "total_speedup [95 % CI]": with_ci("total_speedup"),
        "flags": chamfer.best_parallel_flags.fillna(""),
        "workshop_sequential_s (printed)": chamfer.workshop_sequential_s,
        "workshop_speedup_vs_python (printed)": chamfer.workshop_speedup_vs_python,
    })


def toy_table(summary):
    toy = _where(summary, study="toy")
    if toy.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "problem": toy.problem,
        "impl": toy.impl,
        "wall_median_s [95 % CI]": [_with_ci(*v) for v in zip(toy.wall_median_s, toy.wall_ci_low_s, toy.wall_ci_high_s)],
        "flags": toy["flags"].fillna(""),
        "workshop_overwrite_n200_s (printed)": [
            workshop.TOY_SECONDS.get(i) if p.startswith("overwrite") else np.nan for p, i in zip(toy.problem, toy.impl)
        ],
    }).reset_index(drop=True)


def _ratio(timings, study, slow, fast):
    """T(slow) / T(fast) over the study's problems, with its interval, as text."""
    problems = sorted(timings[timings.study == study].problem.unique())
    pairs = [((_samples(timings, study=study, impl=slow, problem=p),
               _samples(timings, study=study, impl=fast, problem=p)),) for p in problems]
    return _with_ci(*_over_problems(pairs))


def flagged_cells(summary):
    """The cells whose numbers deserve less trust, with the reasons (pyperf's warnings)."""
    flagged = summary[summary["flags"].fillna("") != ""]
    return [(f"{r.study} {r.problem} {r.impl} {r.backend} x{r.workers}" + (f" {r.variant}" if r.variant else ""), r.flags)
            for r in flagged.itertuples()]


def sampling_facts(timings):
    """How the run spent its time: samples, stop reasons, and the share in timed samples."""
    jobs = timings.groupby(CELL)
    first = jobs.first()
    job_s = (pd.to_datetime(first.finished_at) - pd.to_datetime(first.started_at)).dt.total_seconds()
    sampled_s = (timings.wall_s * timings.loops).sum()
    span_s = (pd.to_datetime(timings.finished_at).max() - pd.to_datetime(timings.started_at).min()).total_seconds()
    return dict(
        jobs=len(first), samples=len(timings), stopped_on_interval=int((first.stop_reason == "interval").sum()),
        stopped_on_budget=int((first.stop_reason == "budget").sum()), sampled_s=float(sampled_s),
        job_s=float(job_s.sum()), span_s=span_s, min_sample_s=float(timings.min_sample_s.min()),
        target_ci=float(timings.target_ci.min()),
    )


def differences(summary, timings, overlaps):
    """The ten defects of the workshop, each with what this run measured about it."""
    toy = _where(summary, study="toy")
    over_acc = []
    for impl in ("cython", "numba-gil", "numba-nogil"):
        o = toy[(toy.impl == impl) & toy.problem.str.startswith("overwrite")]
        a = toy[(toy.impl == impl) & toy.problem.str.startswith("accumulate")]
        if len(o) and len(a):
            slow, fast = a.loc[a.wall_median_s.idxmax()].problem, o.loc[o.wall_median_s.idxmax()].problem
            ratio = ratio_ci((_samples(timings, study="toy", impl=impl, problem=slow),
                              _samples(timings, study="toy", impl=impl, problem=fast)))
            over_acc.append(f"{impl} {_with_ci(*ratio)}x")
    chamfer_jobs = timings[timings.study.isin(["chamfer", "strong", "weak", "size"])]
    verified = chamfer_jobs.groupby(["study", "problem", "impl", "backend", "workers"]).verified.all()
    strong = _where(summary, study="strong").dropna(subset=["speedup"])
    top = strong.loc[strong.workers.idxmax()] if len(strong) else None
    gil_proc = _where(summary, study="gil", backend="processes")
    gil_proc = gil_proc[gil_proc.workers == gil_proc.workers.max()] if len(gil_proc) else gil_proc
    weak = _where(summary, study="weak").dropna(subset=["weak_efficiency"])
    compiled = summary[summary.impl.str.startswith("numba")]

    def utilisation(r):
        cell = dict(study=r.study, problem=r.problem, impl=r.impl, backend=r.backend, workers=r.workers)
        return _with_ci(*median_ci(_samples(timings, "utilisation", **cell)))

    return [
        ("1. toy kernel overwrites its result, so compilers delete the loops",
         "accumulate/overwrite time ratio at the largest n: " + (", ".join(over_acc) or "toy study not run")),
        ("2. sqrt(dot(l, r)) is not a distance",
         f"Euclidean distance; {int(verified.sum())} of {len(verified)} Chamfer jobs verified against scipy cKDTree"),
        ("3. map/reduce divided by the dimension, not the cluster sizes",
         f"divides by cluster sizes (tested); mapreduce/python time ratio: {_ratio(timings, 'chamfer', 'mapreduce', 'python')}"),
        ("4. float64[:,:] signature loses contiguity",
         f"numba-signature/numba-workshop time ratio: {_ratio(timings, 'chamfer', 'numba-signature', 'numba-workshop')}"),
        ("5. 'speedup' printed was CPU/wall",
         "speedup = T(1)/T(p); " + (f"{top.impl} {top.backend} at {top.workers} workers: speedup "
                                    f"{_with_ci(top.speedup, top.speedup_ci_low, top.speedup_ci_high)}, "
                                    f"CPU/wall {utilisation(top)}" if top is not None else "strong study not run")),
        ("6. parent-only CPU time for processes",
         "worker CPU counted; " + (", ".join(f"{r.impl} {r.problem} processes x{r.workers}: CPU/wall {utilisation(r)}"
                                             for r in gil_proc.itertuples()) or "gil study not run")
         + f" (workshop, printed: {workshop.GIL[('numba-nogil', 'processes')]['utilisation']})"),
        ("7. mean wall time printed beside the std of CPU time",
         f"median per-call wall time with bootstrap 95 % interval; {int(summary.unstable.sum())} of {len(summary)} "
         f"cells have CV > 10 %, {len(flagged_cells(summary))} are flagged (see Flagged cells)"),
        ("8. 'weak' and 'strong' scaling swapped",
         "strong = fixed problem, weak = work grows with workers, size = the workshop's sweep; weak efficiency at most workers: "
         + (", ".join(f"{r.impl} {r.backend} x{r.workers}: "
                      f"{_with_ci(r.weak_efficiency, r.weak_efficiency_ci_low, r.weak_efficiency_ci_high)}"
                      for r in weak[weak.workers == weak.workers.max()].itertuples()) or "weak study not run")),
        ("9. every point pair evaluated four times",
         f"each pair once (fused directions): numba-workshop/numba time ratio {_ratio(timings, 'chamfer', 'numba-workshop', 'numba')}"),
        ("10. lazy compilation inside the first timed repeat",
         f"untimed warm-up; median compile_s of {len(compiled)} Numba cells {_fmt(compiled.compile_s.median())} s, "
         f"median timed wall per call of the same cells {_fmt(compiled.wall_median_s.median())} s; "
         f"timed jobs overlapping: {len(overlaps)}"),
    ]


def _markdown(table):
    """A Markdown table with 3 significant digits and a dash where nothing was measured."""
    cells = table.astype(object).where(table.notna(), None)
    return cells.to_markdown(index=False, floatfmt=".3g", missingval="–")


def conclusion_markdown(chamfer, toy, diffs, flagged, facts):
    lines = ["# Conclusion", "", "## Chamfer implementations", "",
             f"Columns marked `(printed)` are the numbers printed by the {workshop.SOURCE}; everything else "
             "was measured in this run. Brackets hold bootstrap 95 % intervals; speedups are T(1)/T(p) of the "
             "same implementation, never CPU/wall.", ""]
    lines.append(_markdown(chamfer_markdown_table(chamfer)) if len(chamfer) else "(no Chamfer study in this run)")
    if len(toy):
        lines += ["", "## Toy kernel (sequential), median wall time per call", "", _markdown(toy)]
    lines += ["", f"Workshop's conclusion (printed): {workshop.CONCLUSION}.", "", "## How sure these numbers are", "",
              f"{facts['jobs']} timing jobs took {facts['samples']} samples of at least {_fmt(facts['min_sample_s'])} s "
              f"each; {facts['stopped_on_interval']} jobs stopped when the median's 95 % interval was within "
              f"+-{facts['target_ci']:.0%}, {facts['stopped_on_budget']} when their time budget was spent. Timed "
              f"samples took {_fmt(facts['sampled_s'])} s: {facts['sampled_s'] / facts['job_s']:.0%} of the timing jobs' "
              f"{_fmt(facts['job_s'])} s (the rest: warm-up, calibration, answer checks) and "
              f"{facts['sampled_s'] / facts['span_s']:.0%} of the {_fmt(facts['span_s'])} s from the first job's start to "
              "the last job's end.", ""]
    if flagged:
        lines += ["### Flagged cells: these results may be unstable", "", "| cell | why |", "|---|---|"]
        lines += [f"| {cell} | {why} |" for cell, why in flagged]
    else:
        lines.append("No cell was flagged: every one was stable, quiet, within its CPUs and not too good to be true.")
    lines += ["", "## Differences from the workshop", "", "| workshop defect | this run |", "|---|---|"]
    lines += [f"| {d} | {m} |" for d, m in diffs]
    return "\n".join(lines) + "\n"
