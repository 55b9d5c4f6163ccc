"""The 2018 workshop: the numbers it printed on its machine (docs/workshop.md says where
each is from), and its ten defects beside what this run measured about each.

The printed numbers are shown beside scipar's measurements, always labelled as the
workshop's, never used in a computation. This module is the report's one place that
knows the workshop's problems (toy, chamfer) by name.
"""

import numpy as np

from scipar.measure.journal import UNCHECKED
from scipar.measure.stats import median_ci, ratio_ci
from scipar.report.cells import flags_of, fmt, joined, marked, over_instances, samples, where, with_ci

SOURCE = "workshop 2018 (printed, its machine)"

# Sequential Chamfer solve of the 1,090-point problem, mean wall seconds.
CHAMFER_INSTANCE = "L50-35-1_R30-23-2"
CHAMFER_SECONDS = {"python": 8.50, "mapreduce": 7.77, "numba-workshop": 7.53e-2}
CHAMFER_SPEEDUP = {"python": 1.0, "mapreduce": 8.50 / 7.77, "numba-workshop": 113.0}

# Toy kernel, n = 200, mean wall seconds (overwrite body: the workshop's only one).
TOY_INSTANCE = "overwrite-n200"
TOY_SECONDS = {"python": 27.3, "cython": 8.18, "numba-gil": 1.15e-2, "numba-nogil": 1.12e-2}
TOY_SPEEDUP = {impl: TOY_SECONDS["python"] / s for impl, s in TOY_SECONDS.items()}

# GIL demo, 32 calls over 16 workers, n = 1000.
GIL = {
    ("numba-gil", "threads"): dict(wall_s=15.85, cpu_s=15.46, utilisation=0.97),
    ("numba-nogil", "threads"): dict(wall_s=1.28, cpu_s=16.18, utilisation=12.7),
    ("numba-nogil", "processes"): dict(wall_s=6.11, cpu_s=0.21, utilisation=0.035),
}

# "Weak scaling" (really strong scaling) of the 83,219-point problem: CPU/wall, which it
# called speedup (defect 5), by thread count.
UTILISATION_BY_THREADS = {2: 1.78, 4: 3.37, 8: 6.22, 16: 12.5, 32: 17.6}
# "Strong scaling" (really a size sweep) at 4 threads: CPU/wall by point count.
UTILISATION_BY_POINTS = {689: 2.43, 1219: 3.11, 2558: 3.64, 5107: 3.84, 10565: 3.69}

CONCLUSION = "sequential x15, parallel 0.7 per extra thread, total x15 * 0.7N, 'x300 for our use case'"


def printed_sequential(kind, instance, impl):
    """(seconds, speedup over python) the workshop printed for this sequential cell, or NaNs."""
    if (kind, instance) == ("chamfer", CHAMFER_INSTANCE):
        return CHAMFER_SECONDS.get(impl, np.nan), CHAMFER_SPEEDUP.get(impl, np.nan)
    if (kind, instance) == ("toy", TOY_INSTANCE) and impl in TOY_SECONDS:
        return TOY_SECONDS[impl], TOY_SPEEDUP[impl]
    return np.nan, np.nan


def _ratio(timings, slow, fast, summary=None):
    """T(slow) / T(fast) over the sequential Chamfer instances, with its interval, as text;
    with `summary`, (that text, the flags of the cells it uses)."""
    seq = where(timings, problem_kind="chamfer", study_type="sequential")
    pairs = [((samples(seq, study=study, impl=slow, problem=p), samples(seq, study=study, impl=fast, problem=p)),)
             for study, p in sorted(set(zip(seq.study, seq.problem)))]
    text = with_ci(*over_instances(pairs))
    if summary is None:
        return text
    cells = where(summary, problem_kind="chamfer", study_type="sequential")
    return text, joined(flags_of(cells, impl=slow), flags_of(cells, impl=fast))


def defects(summary, timings, overlaps, flagged):
    """The ten defects of the workshop, each with what this run measured about it; none
    when the run measured neither of the workshop's problems."""
    if not summary.problem_kind.isin(["toy", "chamfer"]).any():
        return []
    toy = where(summary, problem_kind="toy", study_type="sequential")
    over_acc = []
    for impl in ("cython", "numba-gil", "numba-nogil"):
        o = toy[(toy.impl == impl) & toy.problem.str.startswith("overwrite")]
        a = toy[(toy.impl == impl) & toy.problem.str.startswith("accumulate")]
        if len(o) and len(a):
            slow, fast = a.loc[a.wall_median_s.idxmax()], o.loc[o.wall_median_s.idxmax()]
            ratio = ratio_ci((samples(timings, study=slow.study, impl=impl, problem=slow.problem),
                              samples(timings, study=fast.study, impl=impl, problem=fast.problem)))
            over_acc.append(f"{impl} {with_ci(*ratio)}x")
    chamfer_jobs = where(timings, problem_kind="chamfer")
    verified = chamfer_jobs.groupby(["study", "problem", "impl", "backend", "workers"]).verified.all()
    strong = where(summary, problem_kind="chamfer", study_type="strong").dropna(subset=["speedup"])
    top = strong.loc[strong.workers.idxmax()] if len(strong) else None
    gil_proc = where(summary, problem_kind="toy", study_type="gil", backend="processes")
    gil_proc = gil_proc[gil_proc.workers == gil_proc.workers.max()] if len(gil_proc) else gil_proc
    weak = where(summary, problem_kind="chamfer", study_type="weak").dropna(subset=["weak_efficiency"])
    compiled = summary[summary.impl.str.startswith("numba")]

    def utilisation(r):
        cell = dict(study=r.study, problem=r.problem, impl=r.impl, backend=r.backend, workers=r.workers)
        return with_ci(*median_ci(samples(timings, "utilisation", **cell)))

    return [
        ("1. toy kernel overwrites its result, so compilers delete the loops",
         "accumulate/overwrite time ratio at the largest n: " + (", ".join(over_acc) or "toy study not run")),
        ("2. sqrt(dot(l, r)) is not a distance",
         f"Euclidean distance; {int(verified.sum())} of {len(verified)} Chamfer jobs verified against scipy cKDTree"),
        ("3. map/reduce divided by the dimension, not the cluster sizes",
         f"divides by cluster sizes (tested); mapreduce/python time ratio: {_ratio(timings, 'mapreduce', 'python')}"),
        ("4. float64[:,:] signature loses contiguity",
         f"numba-signature/numba-workshop time ratio: {_ratio(timings, 'numba-signature', 'numba-workshop')}"),
        ("5. 'speedup' printed was CPU/wall",
         "speedup = T(1)/T(p); " + (f"{top.impl} {top.backend} at {top.workers} workers: speedup "
                                    f"{with_ci(top.speedup, top.speedup_ci_low, top.speedup_ci_high)}, "
                                    f"CPU/wall {utilisation(top)}" if top is not None else "strong study not run")),
        ("6. parent-only CPU time for processes",
         "worker CPU counted; " + (", ".join(f"{r.impl} {r.problem} processes x{r.workers}: CPU/wall {utilisation(r)}"
                                             for r in gil_proc.itertuples()) or "gil study not run")
         + f" (workshop, printed: {GIL[('numba-nogil', 'processes')]['utilisation']})"),
        ("7. mean wall time printed beside the std of CPU time",
         f"median per-call wall time with a 95 % rerun interval (hierarchical bootstrap over processes); {int(summary.unstable.sum())} of {len(summary)} "
         f"cells have CV > 10 %, {len(flagged)} are flagged (see Flagged cells)"),
        ("8. 'weak' and 'strong' scaling swapped",
         "strong = fixed problem, weak = work grows with workers, size = the workshop's sweep; weak efficiency at most workers: "
         + (", ".join(f"{r.impl} {r.backend} x{r.workers}: "
                      f"{with_ci(r.weak_efficiency, r.weak_efficiency_ci_low, r.weak_efficiency_ci_high)}"
                      for r in weak[weak.workers == weak.workers.max()].itertuples()) or "weak study not run")),
        ("9. every point pair evaluated four times",
         f"each pair once (fused directions): numba-workshop/numba time ratio {_ratio(timings, 'numba-workshop', 'numba')}"),
        ("10. lazy compilation inside the first timed repeat",
         f"untimed warm-up; median compile_s of {len(compiled)} Numba cells {fmt(compiled.compile_s.median())} s, "
         f"median timed wall per call of the same cells {fmt(compiled.wall_median_s.median())} s; "
         f"timed jobs overlapping: {_overlap_claim(summary, overlaps)}"),
    ]


def _overlap_claim(summary, overlaps):
    """How many timed jobs overlapped, as far as it was checked: a cell whose journal
    could not be written was not checked, and is not counted as a clean one."""
    unchecked = summary.overlapped_with.fillna("").str.startswith(UNCHECKED).sum()
    if unchecked:
        return f"{len(overlaps)} found, {unchecked} of {len(summary)} cells not checked (their journal could not be written)"
    return str(len(overlaps))


# The workshop's conclusion in numbers (notebook) and its slides' ranges.
PRINTED_SEQUENTIAL, PRINTED_EFFICIENCY, PRINTED_TOTAL = 15, 0.7, 300
SLIDES = {"sequential": "15-30", "efficiency": "0.7-0.95", "total": "x400 ('my actual use case')"}
# The toy kernel at n = 200, seconds: the notebook's Cython and Numba (nogil) times.
TOY_CYTHON, TOY_NUMBA = 8.18, 1.12e-2
# The image notebook: 100 images, wall seconds at 1 and 4 threads.
IMAGES_COUNT, IMAGES_SECONDS = 100, {1: 29.46, 4: 11.85}


def _best_sequential(summary, timings):
    """(impl, study, instance, speedup, low, high): the compiled implementation fastest
    against pure Python on a sequential Chamfer instance (the workshop's, if run)."""
    from scipar.problems import get_implementation

    seq = where(summary, problem_kind="chamfer", study_type="sequential")
    seq = seq[seq.study.isin(seq[seq.impl == "python"].study)]
    if seq.empty:
        return None
    instance = CHAMFER_INSTANCE if (seq.problem == CHAMFER_INSTANCE).any() else seq.problem.iloc[0]
    seq = seq[seq.problem == instance]
    study = seq.study.iloc[0]
    python = samples(timings, study=study, problem=instance, impl="python")
    best = None
    for impl in seq[seq.study == study].impl:
        if impl == "python" or not get_implementation(impl, "chamfer").compiled:
            continue
        ratio = ratio_ci((python, samples(timings, study=study, problem=instance, impl=impl)))
        if best is None or ratio[0] > best[3]:
            best = (impl, study, instance, *ratio)
    return best


def _largest_strong(summary, kind):
    """The cells of the largest instance of kind's strong studies at their most workers."""
    strong = where(summary, problem_kind=kind, study_type="strong").dropna(subset=["speedup"])
    if strong.empty:
        return strong
    strong = strong[strong.problem == strong.loc[strong.work.idxmax()].problem]
    return strong[(strong.workers == strong.workers.max()) & (strong.workers > 1)]


def headline(summary, timings):
    """This run's conclusion in the workshop's terms: rows of (what, this run with its
    95 % interval, how it was measured, the workshop's printed number, its slides'),
    and one sentence on what differs; ([], "") when the run has no Chamfer study."""
    rows, notes = [], []
    best = _best_sequential(summary, timings)
    if best is not None:
        impl, study, instance, *ratio = best
        seq_cells = where(summary, study=best[1], problem=best[2])
        best_flags = flags_of(seq_cells, impl="python") + flags_of(seq_cells, impl=impl)
        rows.append(("sequential speedup", f"x{with_ci(*ratio)}", joined(best_flags),
                     f"best compiled ({impl}) over python, T(python)/T({impl}), Chamfer {instance}",
                     f"x{PRINTED_SEQUENTIAL} (Numba: x113 on 1,090 points)", SLIDES["sequential"]))
    chamfer_seq = where(summary, problem_kind="chamfer", study_type="sequential")
    if {"numba", "cython"} <= set(chamfer_seq.impl):
        flags = where(timings, problem_kind="chamfer").drop_duplicates("impl").set_index("impl").build_flags
        ratio, ratio_flags = _ratio(timings, "numba", "cython", summary)
        rows.append(("Numba against Cython, one kernel, equal flags",
                     f"x{ratio} (T(numba)/T(cython))", ratio_flags,
                     f"the fused Chamfer kernel, sequential instances; numba {flags['numba'].split(': ', 1)[1]}, "
                     f"cython {flags['cython'].split(': ', 1)[1]}",
                     f"'JIT is significantly faster than Cython' (toy: Cython {TOY_CYTHON} s, Numba {TOY_NUMBA} s; "
                     "Numba had deleted the loops, defect 1)", ""))
    strong = _largest_strong(summary, "chamfer")
    if len(strong):
        top = strong.loc[strong.speedup.idxmax()]
        p = int(top.workers)
        top_cell = dict(study=top.study, problem=top.problem, impl=top.impl, backend=top.backend)
        rows.append(("parallel efficiency per worker",
                     with_ci(top.efficiency, top.efficiency_ci_low, top.efficiency_ci_high),
                     joined(flags_of(summary, "speedup_flags", **top_cell, workers=p)),
                     f"T(1)/(p T(p)) at p = {p}, best of the strong study: {top.impl} {top.backend}, Chamfer {top.problem}",
                     f"{PRINTED_EFFICIENCY} per extra thread (its CPU/wall / threads)", SLIDES["efficiency"]))
        if best is not None:
            totals = []
            for r in strong.itertuples():
                seq = (samples(timings, study=best[1], problem=best[2], impl="python"),
                       samples(timings, study=best[1], problem=best[2], impl=r.impl))
                cell = dict(study=r.study, problem=r.problem, impl=r.impl, backend=r.backend)
                par = (samples(timings, workers=1, **cell), samples(timings, workers=p, **cell))
                if all(len(s) for s in (*seq, *par)):
                    totals.append((ratio_ci(seq, par), r, flags_of(summary, "speedup_flags", **cell, workers=p)))
            if totals:
                ratio, r, par_flags = max(totals, key=lambda t: t[0][0])
                seq_cells = where(summary, study=best[1], problem=best[2])
                total_flags = flags_of(seq_cells, impl="python") + flags_of(seq_cells, impl=r.impl) + par_flags
                rows.append((f"total speedup at {p} workers", f"x{with_ci(*ratio)}", joined(total_flags),
                             f"sequential speedup of {r.impl} over python on {best[2]} x its T(1)/T({p}) with "
                             f"{r.backend} on {r.problem} (the workshop's 'x15 * 0.7N', a product over two instances)",
                             f"x{PRINTED_TOTAL} ('x15 * 0.7N' at 32 threads)", SLIDES["total"]))
        notes.append(f"the workshop's parallel numbers were CPU time / wall time, here speedup is T(1)/T(p) "
                     f"on {p} workers")
    images = where(_largest_strong(summary, "images"), backend="threads")
    if len(images):
        r = images.loc[images.speedup.idxmax()]
        one = where(summary, study=r.study, problem=r.problem, impl=r.impl, backend="threads", workers=1)
        per_image = [fmt(s / r.work) for s in (one.wall_median_s.iloc[0], r.wall_median_s)] if len(one) else ["n/a"] * 2
        rows.append((f"images: threads speedup at {int(r.workers)}",
                     f"x{with_ci(r.speedup, r.speedup_ci_low, r.speedup_ci_high)} "
                     f"({per_image[0]} s then {per_image[1]} s per image)",
                     joined(flags_of(summary, "speedup_flags", study=r.study, problem=r.problem, impl=r.impl,
                                     backend="threads", workers=r.workers)),
                     f"T(1)/T(p) of read + rotate + write of {int(r.work)} images, {r.impl}",
                     f"x2.49 wall at 4 threads ({IMAGES_SECONDS[1] / IMAGES_COUNT:.3g} s then "
                     f"{IMAGES_SECONDS[4] / IMAGES_COUNT:.3g} s per image; it printed CPU/wall 3.72)", ""))
    for kind in [k for k in summary.problem_kind.unique() if k in WORKSHOP_PROBLEMS]:  # what it said of its own
        top = _largest_strong(summary, kind)
        threads, processes = where(top, backend="threads"), where(top, backend="processes")
        if len(threads) and len(processes):
            t, q = threads.loc[threads.speedup.idxmax()], processes.loc[processes.speedup.idxmax()]
            rows.append((f"{kind}: memory of processes / threads at {int(t.workers)}",
                         f"x{fmt(q.memory_peak_mib / t.memory_peak_mib)} ({fmt(q.memory_peak_mib)} MiB against "
                         f"{fmt(t.memory_peak_mib)} MiB)",
                         joined(*(flags_of(summary, "speedup_flags", study=c.study, problem=c.problem, impl=c.impl,
                                           backend=c.backend, workers=c.workers) for c in (q, t))),
                         f"peak resident memory of the job's process and its workers; speedup "
                         f"{fmt(q.speedup)} ({q.impl}) with processes, {fmt(t.speedup)} ({t.impl}) with threads",
                         "not measured (it said processes copy data, threads share it)", ""))
    if best is not None:
        notes.append("its sequential x15 compared kernels that evaluated every point pair four times with a wrong "
                     "distance, while here every implementation does the same verified work, so the ratios measure "
                     "the implementations, not the defects (see 'Differences from the workshop')")
    return rows, ("What differs and why: " + "; ".join(notes) + ".") if notes else ""


WORKSHOP_PROBLEMS = ("toy", "chamfer", "images")  # the problems the workshop printed numbers of
HEADLINE_COLUMNS = ["what", "this run [95 % CI]", "flags", "how", "workshop 2018 (printed)", "slides (printed)"]


def marked_rows(rows):
    """Headline rows with every number from a flagged cell marked as such."""
    return [(what, marked(value, flags), flags, *rest) for what, value, flags, *rest in rows]
