"""The conclusion: per problem and implementation, the speedups of this run with intervals.

Every number here is computed from this run's samples, with its bootstrap 95 %
interval, except the columns and sentences labelled as the workshop's, which come from
scipar.report.workshop (printed numbers). Flagged cells are listed with their reasons.
"""

import pandas as pd
import tabulate

from scipar.measure.stats import ratio_ci
from scipar.report import escape, plausible, workshop
from scipar.report.cells import flags_of, fmt, joined, marked, samples, where, with_ci
from scipar.report.summary import CELL


def implementation_table(summary, timings, baselines=None):
    """Per problem, instance of its sequential studies and implementation: sequential
    time, speedup over the baseline, best parallel speedup, total speedup, with intervals.

    speedup_vs_baseline is T(baseline) / T(impl) on the instance; the best parallel
    speedup is T(1) / T(p) of the same implementation in the problem's strong studies,
    on the same instance where one has it (else on the instance named in
    best_parallel_instance); total_speedup is their product (the workshop's "x15 *
    0.7N"), its interval resampling all four sample sets, only where both are of one
    instance. `baselines` maps a study to its configured
    baseline; a problem without one is measured against its slowest implementation.
    The workshop's printed numbers are added where the instance is the workshop's.
    """
    rows = []
    sequential = where(summary, study_type="sequential")
    for (kind, study, instance), seq in sequential.groupby(["problem_kind", "study", "problem"], sort=False):
        baseline = (baselines or {}).get(study) or seq.loc[seq.wall_median_s.idxmax()].impl
        strong = where(summary, study_type="strong", problem_kind=kind)
        base = samples(timings, study=study, impl=baseline, problem=instance)
        for impl, cell in seq.groupby("impl", sort=False):
            pair = (base, samples(timings, study=study, impl=impl, problem=instance))
            # Every number carries the flags of every cell it is computed from.
            sequential_flags = flags_of(seq, impl=impl) + flags_of(seq, impl=baseline)
            row = dict(problem_kind=kind, problem=instance, impl=impl, baseline=baseline,
                       sequential_s=float(cell.wall_median_s.iloc[0]), sequential_flags=joined(sequential_flags))
            row.update(zip(("speedup_vs_baseline", "speedup_vs_baseline_ci_low", "speedup_vs_baseline_ci_high"),
                           ratio_ci(pair)))
            parallel = strong[(strong.impl == impl) & (strong.workers > 1)].dropna(subset=["speedup"])
            # The instance's own strong study if it has one; else another instance's, named,
            # and no product of speedups measured on different instances.
            same = parallel[parallel.problem == instance]
            parallel = same if len(same) else parallel
            if len(parallel):
                best = parallel.loc[parallel.speedup.idxmax()]
                cell = dict(study=best.study, impl=impl, problem=best.problem, backend=best.backend)
                scaling = (samples(timings, workers=1, **cell), samples(timings, workers=best.workers, **cell))
                row.update(
                    best_parallel_instance=best.problem, best_parallel_backend=best.backend,
                    best_parallel_workers=int(best.workers),
                    best_parallel_speedup=best.speedup, best_parallel_speedup_ci_low=best.speedup_ci_low,
                    best_parallel_speedup_ci_high=best.speedup_ci_high,
                    best_parallel_efficiency=best.efficiency, best_parallel_efficiency_ci_low=best.efficiency_ci_low,
                    best_parallel_efficiency_ci_high=best.efficiency_ci_high,
                )
                parallel_flags = flags_of(strong, "speedup_flags", **cell, workers=best.workers)
                row.update(best_parallel_flags=joined(parallel_flags), total_flags=joined(sequential_flags, parallel_flags))
                if best.problem == instance:
                    row.update(zip(("total_speedup", "total_speedup_ci_low", "total_speedup_ci_high"),
                                   ratio_ci(pair, scaling)))
            seconds, speedup = workshop.printed_sequential(kind, instance, impl)
            row.update(workshop_sequential_s=seconds, workshop_speedup=speedup)
            rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    return table.sort_values(["problem_kind", "problem", "sequential_s"], ascending=[True, True, False], ignore_index=True)


COLUMNS = ["problem_kind", "problem", "impl", "baseline", "sequential_s"] + [
    f"speedup_vs_baseline{k}" for k in ("", "_ci_low", "_ci_high")
] + ["best_parallel_instance", "best_parallel_backend", "best_parallel_workers"] + [
    f"{name}{k}" for name in ("best_parallel_speedup", "best_parallel_efficiency") for k in ("", "_ci_low", "_ci_high")
] + ["best_parallel_flags", "total_speedup", "total_speedup_ci_low", "total_speedup_ci_high", "total_flags",
     "sequential_flags", "workshop_sequential_s", "workshop_speedup"]


def markdown_table(table):
    """The conclusion table as read by a person: each number beside its interval."""
    def column(name, flags):
        return [marked(with_ci(*v), f) for *v, f in
                zip(table[name], table[name + "_ci_low"], table[name + "_ci_high"], table[flags].fillna(""))]

    return pd.DataFrame({
        "instance": table.problem,
        "impl": table.impl,
        "sequential_s": [marked(fmt(v), f) for v, f in zip(table.sequential_s, table.sequential_flags.fillna(""))],
        "speedup_vs_baseline [95 % CI]": column("speedup_vs_baseline", "sequential_flags"),
        "best_parallel": ["" if pd.isna(w) else f"{b} x{int(w)}" + ("" if i == p else f" on {i}")
                          for b, w, i, p in zip(table.best_parallel_backend, table.best_parallel_workers,
                                                table.best_parallel_instance, table.problem)],
        "speedup [95 % CI]": column("best_parallel_speedup", "best_parallel_flags"),
        "efficiency [95 % CI]": column("best_parallel_efficiency", "best_parallel_flags"),
        "total_speedup [95 % CI]": ["" if pd.isna(w) or i == p else "(two instances)" for w, i, p in zip(
            table.best_parallel_workers, table.best_parallel_instance, table.problem)]
        if table.total_speedup.isna().all() else column("total_speedup", "total_flags"),
        "sequential flags": table.sequential_flags.fillna(""),
        "parallel flags": table.best_parallel_flags.fillna(""),
        "workshop_sequential_s (printed)": table.workshop_sequential_s,
        "workshop_speedup (printed)": table.workshop_speedup,
    })


SCALING_TYPES = ("strong", "weak", "size")


def scaling_rows(summary):
    """The cells of the strong, weak and size studies."""
    if "study_type" not in summary.columns:
        return summary.iloc[0:0]
    return summary[summary.study_type.isin(SCALING_TYPES)]


def scaling_markdown(rows):
    """A scaling study as read by a person: per instance, implementation and backend,
    the time of one call at each worker count and, in strong and weak studies, the
    speedup and efficiency over its one-worker cell, each cell's flags beside it."""
    weak = rows.study_type.iloc[0] == "weak"
    efficiency = "weak_efficiency" if weak else "efficiency"
    out = pd.DataFrame({
        "instance": rows.problem, "impl": rows.impl, "backend": rows.backend, "workers": rows.workers,
        "time per call s [95 % CI]": [marked(with_ci(m, lo, hi), f) for m, lo, hi, f in
                                      zip(rows.wall_median_s, rows.wall_ci_low_s, rows.wall_ci_high_s, rows["flags"].fillna(""))],
    })
    if rows.study_type.iloc[0] != "size":
        out["speedup [95 % CI]"] = [marked(with_ci(*v), f) for *v, f in zip(
            rows.speedup, rows.speedup_ci_low, rows.speedup_ci_high, rows.speedup_flags.fillna(""))]
        out[f"{efficiency.replace('_', ' ')} [95 % CI]"] = [marked(with_ci(*v), f) for *v, f in zip(
            rows[efficiency], rows[efficiency + "_ci_low"], rows[efficiency + "_ci_high"], rows.speedup_flags.fillna(""))]
    out["flags"] = rows.speedup_flags.fillna("") if "speedup_flags" in rows.columns else rows["flags"].fillna("")
    return out


def harness_floors(summary):
    """[(problem kind, "a µs per call [low, high] over n cells")]: the harness floor of each
    problem, over the cells that measured one (a round of calls over 0.1 s measures none)."""
    if "floor_s" not in summary.columns:
        return []
    out = []
    for kind, cells in summary.groupby("problem_kind", sort=False):
        floors = cells.floor_s.dropna()
        if len(floors):
            out.append((kind, f"{fmt(floors.median() * 1e6)} µs per call (from {fmt(floors.min() * 1e6)} to "
                              f"{fmt(floors.max() * 1e6)} µs over {len(floors)} cells); its fastest cell took "
                              f"{fmt(cells.wall_median_s.min() * 1e6)} µs"))
        else:
            out.append((kind, "not measured: every cell's calls took over 0.1 s, far above any harness floor"))
    return out


def sampling_facts(timings):
    """How the run spent its time: samples, stop reasons, and the share in timed samples."""
    first = timings.groupby(CELL).first()
    # Each round (a process of its own) records its own start and end: a job's time is theirs summed.
    rounds = timings.groupby(CELL + ["process"]).first() if "process" in timings.columns else first
    job_s = (pd.to_datetime(rounds.finished_at) - pd.to_datetime(rounds.started_at)).dt.total_seconds()
    sampled_s = (timings.wall_s * timings.loops).sum()
    span_s = (pd.to_datetime(timings.finished_at).max() - pd.to_datetime(timings.started_at).min()).total_seconds()
    processes = int(first.processes.sum()) if "processes" in first.columns else len(first)
    return dict(
        jobs=len(first), samples=len(timings), processes=processes,
        stopped_on_interval=int((first.stop_reason == "interval").sum()),
        stopped_on_budget=int((first.stop_reason == "budget").sum()), sampled_s=float(sampled_s),
        job_s=float(job_s.sum()), span_s=span_s, min_sample_s=float(timings.min_sample_s.min()),
        target_ci=float(timings.target_ci.min()),
    )


def _markdown(table):
    """A Markdown table with 3 significant digits and a dash where nothing was measured;
    its texts inert (scipar.report.escape)."""
    cells = table.astype(object).where(table.notna(), None)
    cells = cells.map(lambda v: escape.markdown(v) if isinstance(v, str) else v)
    return cells.to_markdown(index=False, floatfmt=".3g", missingval="–")


def headline_table(rows):
    return pd.DataFrame(workshop.marked_rows(rows), columns=workshop.HEADLINE_COLUMNS)


def headline_rst(rows, sentence):
    """The headline as reStructuredText, for the report's first page."""
    if not rows:
        return ""
    cells = [[escape.rst(v) if isinstance(v, str) else v for v in row] for row in workshop.marked_rows(rows)]
    table = tabulate.tabulate(cells, headers=workshop.HEADLINE_COLUMNS, tablefmt="grid")
    title = "This run in the workshop's terms"
    return f"\n\n{title}\n{'-' * len(title)}\n\n{table}\n\n{escape.rst(sentence)}\n"


def conclusion_markdown(table, defects, flagged, facts, headline=([], ""), summary=None):
    scaling_source = summary if summary is not None else pd.DataFrame(columns=["problem_kind", "study"])
    scaling = scaling_rows(scaling_source)
    printed = bool(headline[0]) or table.problem_kind.isin(workshop.WORKSHOP_PROBLEMS).any()
    lines = ["# Conclusion", "",
             (f"Columns marked `(printed)` are the numbers printed by the {workshop.SOURCE}; everything else "
              "was measured in this run. " if printed else "Every number here was measured in this run. ")
             + "Brackets hold 95 % intervals of what a rerun would give (docs/method.md); "
             "a number marked (flagged) comes from a flagged cell (the flags column says which, and why); "
             "speedups are T(1)/T(p) of the "
             "same implementation, never CPU/wall."]
    rows, sentence = headline
    if rows:
        lines += ["", "## This run in the workshop's terms", "", _markdown(headline_table(rows)), "",
                  escape.markdown(sentence)]
    for kind, rows in table.groupby("problem_kind", sort=False):
        shown = markdown_table(rows)
        # The workshop's columns only where it printed something for this problem.
        shown = shown.drop(columns=[c for c in shown.columns if c.endswith("(printed)") and shown[c].isna().all()])
        lines += ["", f"## {kind}: implementations against {', '.join(rows.baseline.unique())}", "", _markdown(shown)]
        if (rows.best_parallel_instance.notna() & (rows.best_parallel_instance != rows.problem)).any():
            lines += ["", "A best parallel speedup `on` another instance comes from a strong study of that instance; "
                      "total_speedup, their product, is given only where both are of one instance, else "
                      "`(two instances)`: add the sequential instance to a strong study to get it."]
    for (kind, study), rows in scaling.groupby(["problem_kind", "study"], sort=False):
        lines += ["", f"## {kind}: {study} ({rows.study_type.iloc[0]} scaling), each cell at its own instance", "",
                  _markdown(scaling_markdown(rows))]
        if (rows.backend == "processes").any():
            lines += ["", "processes x1 runs its tasks in the job's own process (joblib runs one worker in place), "
                      "so a processes speedup also pays for starting worker processes' tasks and pickling their "
                      "data: threads x1 or serial is the plainer baseline."]
    if table.empty and scaling.empty:
        lines += ["", "(no sequential or scaling study in this run)"]
    floors = harness_floors(scaling_source)
    if floors:
        lines += ["", "## What scipar's own path costs", "",
                  "The harness floor: what one timed call costs beyond its kernel (split, dispatch, combine, timer), "
                  f"measured per cell on the serial path with the kernel's answers replayed; a cell under "
                  f"{plausible.FLOOR_FACTOR} times it is flagged 'near the harness floor'.", ""]
        lines += [f"- {escape.markdown(kind)}: {text}" for kind, text in floors]
    if defects:
        lines += ["", f"Workshop's conclusion (printed): {workshop.CONCLUSION}."]
    lines += ["", "## How sure these numbers are", "",
              f"{facts['jobs']} timing jobs took {facts['samples']} samples of at least {fmt(facts['min_sample_s'])} s "
              f"each in {facts['processes']} fresh processes; {facts['stopped_on_interval']} jobs stopped when the "
              f"95 % interval of a rerun's median was within +-{facts['target_ci']:.0%}, {facts['stopped_on_budget']} "
              "when one more process would have passed their time budget. Timed "
              f"samples took {fmt(facts['sampled_s'])} s: {facts['sampled_s'] / facts['job_s']:.0%} of the timing jobs' "
              f"{fmt(facts['job_s'])} s (the rest: process starts, warm-ups, calibration, answer checks) and "
              f"{facts['sampled_s'] / facts['span_s']:.0%} of the {fmt(facts['span_s'])} s from the first job's start to "
              "the last job's end.", ""]
    if flagged:
        lines += ["### Flagged cells: these results may be unstable", "", "| cell | why |", "|---|---|"]
        lines += [f"| {escape.markdown(cell)} | {escape.markdown(why)} |" for cell, why in flagged]
    else:
        lines.append("No cell was flagged: every one was stable, quiet, within its CPUs and not too good to be true.")
    if defects:
        lines += ["", "## Differences from the workshop", "", "| workshop defect | this run |", "|---|---|"]
        lines += [f"| {escape.markdown(d)} | {escape.markdown(m)} |" for d, m in defects]
    return "\n".join(lines) + "\n"
