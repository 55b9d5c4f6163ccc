"""The conclusion table and the differences from the workshop, from this run's summary.

Every number here is computed from the summary of this run, except the columns and
sentences labelled as the workshop's, which come from scipar.workshop (FACTS.md).
"""

import numpy as np
import pandas as pd

from scipar import workshop


def _fmt(x, digits=3):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return f"{x:.{digits}g}"


def _cells(summary, study, **where):
    cells = summary[summary.study == study]
    for column, value in where.items():
        cells = cells[cells[column] == value]
    return cells


def chamfer_table(summary):
    """Per Chamfer implementation: sequential time, speedups, and the workshop's numbers."""
    seq = _cells(summary, "chamfer")
    strong = _cells(summary, "strong")
    impls = list(dict.fromkeys(list(seq.impl) + list(strong.impl)))
    python = seq[seq.impl == "python"].set_index("problem").wall_median_s
    rows = []
    for impl in impls:
        mine = seq[seq.impl == impl].set_index("problem").wall_median_s
        ratios = (python / mine).dropna()
        parallel = strong[(strong.impl == impl) & (strong.workers > 1)].dropna(subset=["speedup"])
        best = parallel.loc[parallel.speedup.idxmax()] if len(parallel) else None
        seq_speedup = float(ratios.median()) if len(ratios) else np.nan
        rows.append(dict(
            impl=impl,
            sequential_s=float(mine.median()) if len(mine) else np.nan,
            speedup_vs_python=seq_speedup,
            best_parallel_speedup=float(best.speedup) if best is not None else np.nan,
            best_parallel_backend=best.backend if best is not None else "",
            best_parallel_workers=int(best.workers) if best is not None else np.nan,
            best_parallel_efficiency=float(best.efficiency) if best is not None else np.nan,
            total_speedup=seq_speedup * float(best.speedup) if best is not None else np.nan,
            workshop_sequential_s=workshop.CHAMFER_SECONDS.get(impl, np.nan),
            workshop_speedup_vs_python=workshop.CHAMFER_SPEEDUP.get(impl, np.nan),
        ))
    return pd.DataFrame(rows).sort_values("sequential_s", ascending=False, ignore_index=True)


def toy_table(summary):
    toy = _cells(summary, "toy")
    if toy.empty:
        return pd.DataFrame()
    table = toy.pivot_table(index=["problem", "impl"], values="wall_median_s").reset_index()
    table["workshop_overwrite_n200_s"] = [
        workshop.TOY_SECONDS.get(i) if p.startswith("overwrite") else np.nan
        for p, i in zip(table.problem, table.impl)
    ]
    return table


def _ratio(summary, study, slow, fast, **where):
    a, b = _cells(summary, study, impl=slow, **where), _cells(summary, study, impl=fast, **where)
    if a.empty or b.empty:
        return np.nan
    joined = a.set_index("problem").wall_median_s / b.set_index("problem").wall_median_s
    return float(joined.dropna().median()) if joined.notna().any() else np.nan


def differences(summary, timings, overlaps):
    """The ten defects of FACTS.md, each with what this run measured about it."""
    toy = _cells(summary, "toy")
    over_acc = []
    for impl in ("cython", "numba-gil", "numba-nogil"):
        o = toy[(toy.impl == impl) & toy.problem.str.startswith("overwrite")]
        a = toy[(toy.impl == impl) & toy.problem.str.startswith("accumulate")]
        if len(o) and len(a):
            over_acc.append(f"{impl} {_fmt(a.wall_median_s.max() / o.wall_median_s.max())}x")
    chamfer_jobs = timings[timings.study.isin(["chamfer", "strong", "weak", "size"])]
    verified = chamfer_jobs.groupby(["study", "problem", "impl", "backend", "workers"]).verified.all()
    strong = _cells(summary, "strong").dropna(subset=["speedup"])
    top = strong.loc[strong.workers.idxmax()] if len(strong) else None
    gil_proc = _cells(summary, "gil", backend="processes")
    gil_proc = gil_proc[gil_proc.workers == gil_proc.workers.max()] if len(gil_proc) else gil_proc
    weak = _cells(summary, "weak").dropna(subset=["weak_efficiency"])
    compiled = summary[summary.impl.str.startswith("numba")]
    return [
        ("1. toy kernel overwrites its result, so compilers delete the loops",
         "accumulate/overwrite time ratio at the largest n: " + (", ".join(over_acc) or "toy study not run")),
        ("2. sqrt(dot(l, r)) is not a distance",
         f"Euclidean distance; {int(verified.sum())} of {len(verified)} Chamfer jobs verified against scipy cKDTree"),
        ("3. map/reduce divided by the dimension, not the cluster sizes",
         "divides by cluster sizes (tested); mapreduce/python time ratio: "
         f"{_fmt(_ratio(summary, 'chamfer', 'mapreduce', 'python'))}"),
        ("4. float64[:,:] signature loses contiguity",
         f"numba-signature/numba-workshop time ratio: {_fmt(_ratio(summary, 'chamfer', 'numba-signature', 'numba-workshop'))}"),
        ("5. 'speedup' printed was CPU/wall",
         "speedup = T(1)/T(p); " + (f"{top.impl} {top.backend} at {top.workers} workers: speedup {_fmt(top.speedup)}, "
                                    f"CPU/wall {_fmt(top.utilisation_median)}" if top is not None else "strong study not run")),
        ("6. parent-only CPU time for processes",
         "worker CPU counted; " + (", ".join(f"{r.impl} {r.problem} processes x{r.workers}: CPU/wall {_fmt(r.utilisation_median)}"
                                             for r in gil_proc.itertuples()) or "gil study not run")
         + f" (workshop: {workshop.GIL[('numba-nogil', 'processes')]['utilisation']})"),
        ("7. mean wall time printed beside the std of CPU time",
         f"median wall with bootstrap 95 % interval; {int(summary.unstable.sum())} of {len(summary)} cells have CV > 10 %"),
        ("8. 'weak' and 'strong' scaling swapped",
         "strong = fixed problem, weak = work grows with workers, size = the workshop's sweep; weak efficiency at most workers: "
         + (", ".join(f"{r.impl} {r.backend} x{r.workers}: {_fmt(r.weak_efficiency)}" for r in
                      weak[weak.workers == weak.workers.max()].itertuples()) or "weak study not run")),
        ("9. every point pair evaluated four times",
         f"each pair once (fused directions): numba-workshop/numba time ratio {_fmt(_ratio(summary, 'chamfer', 'numba-workshop', 'numba'))}"),
        ("10. lazy compilation inside the first timed repeat",
         f"untimed warm-up; median compile_s of Numba cells {_fmt(compiled.compile_s.median())} s, "
         f"median timed wall of the same cells {_fmt(compiled.wall_median_s.median())} s; "
         f"timed jobs overlapping: {len(overlaps)}"),
    ]


def _markdown(table):
    """A Markdown table with 3 significant digits and a dash where nothing was measured."""
    cells = table.astype(object).where(table.notna(), None)
    return cells.to_markdown(index=False, floatfmt=".3g", missingval="–")


def conclusion_markdown(chamfer, toy, diffs):
    lines = ["# Conclusion", "", "## Chamfer implementations", "",
             f"Columns prefixed `workshop_` are the numbers printed by the {workshop.SOURCE}; "
             "everything else was measured in this run.", ""]
    lines.append(_markdown(chamfer) if len(chamfer) else "(no Chamfer study in this run)")
    if len(toy):
        lines += ["", "## Toy kernel (sequential)", "", _markdown(toy)]
    lines += ["", f"Workshop's conclusion (printed): {workshop.CONCLUSION}.", "",
              "## Differences from the workshop", "", "| workshop defect | this run |", "|---|---|"]
    lines += [f"| {d} | {m} |" for d, m in diffs]
    return "\n".join(lines) + "\n"
