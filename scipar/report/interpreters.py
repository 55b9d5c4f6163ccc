"""Free-threaded Python: what threads buy under each interpreter, and what the
free-threaded build costs on one thread (the studies with `interpreters`).

Every number is this run's, with its bootstrap 95 % interval; the workshop's sentence
is quoted as printed.
"""

import numpy as np
import pandas as pd

from scipar.measure.stats import ratio_ci
from scipar.report.cells import flags_of, fmt, joined, marked, samples, with_ci
from scipar.workflow.interpreters import DEFAULT, FREE_THREADED, FREE_THREADED_GIL

LABELS = {DEFAULT: "default", FREE_THREADED: "free-threaded (GIL off)", FREE_THREADED_GIL: "free-threaded, PYTHON_GIL=1"}
WORKSHOP_GIL = ("'With the GIL there is simply no way to accelerate code (unless your code does IO, calls numpy "
                "or C libs.)'")
# Threads "help" when the whole interval of T(1)/T(p) is above this.
HELPS = 1.1


def interpreter_studies(summary):
    """The studies that ran under more than Snakemake's own interpreter."""
    return list(summary.loc[summary.interpreter != DEFAULT, "study"].unique())


def threads_table(summary, timings):
    """One row per (study, instance, implementation, interpreter) timed with threads:
    T(1), the speedup T(1)/T(p) at the most workers, and the one-thread time against
    the default interpreter's, T_interpreter(1)/T_default(1), each with its interval."""
    cells = summary[summary.study.isin(interpreter_studies(summary)) & (summary.backend == "threads")]
    rows = []
    for (study, kind, instance, impl), group in cells.groupby(["study", "problem_kind", "problem", "impl"], sort=False):
        p = int(group.workers.max())
        where = dict(study=study, problem=instance, impl=impl, backend="threads")
        default_one = samples(timings, interpreter=DEFAULT, workers=1, **where)
        for interpreter, cell in group.groupby("interpreter", sort=False):
            one, most = cell[cell.workers == 1], cell[cell.workers == p]
            if one.empty or most.empty:
                continue
            own_one = samples(timings, interpreter=interpreter, workers=1, **where)
            cost = ratio_ci((own_one, default_one)) if len(default_one) else (np.nan,) * 3
            m, o = most.iloc[0], one.iloc[0]
            # The speedup's cells (T(1), T(p)) and the default interpreter's T(1) of the cost.
            flags = joined(flags_of(cell, "speedup_flags", workers=p), flags_of(cell, workers=1),
                           flags_of(summary, interpreter=DEFAULT, workers=1, **where))
            python = timings.loc[(timings.study == study) & (timings.interpreter == interpreter), "python"].iloc[0]
            rows.append(dict(study=study, problem_kind=kind, problem=instance, impl=impl, interpreter=interpreter,
                             python=python, workers=p, one_thread_s=o.wall_median_s,
                             one_thread_ci_low_s=o.wall_ci_low_s, one_thread_ci_high_s=o.wall_ci_high_s,
                             speedup=m.speedup, speedup_ci_low=m.speedup_ci_low, speedup_ci_high=m.speedup_ci_high,
                             one_thread_vs_default=cost[0], one_thread_vs_default_ci_low=cost[1],
                             one_thread_vs_default_ci_high=cost[2], flags=flags))
    return pd.DataFrame(rows)


def verdict(row):
    """Whether threads sped this cell up, in words."""
    if row.speedup_ci_low > HELPS:
        return f"threads help (x{fmt(row.speedup)} on {row.workers})"
    if row.speedup_ci_high < HELPS:
        return f"threads do not help (x{fmt(row.speedup)} on {row.workers})"
    return f"undecided (x{fmt(row.speedup)} on {row.workers}, interval reaches {HELPS})"


# The pure-Python implementations of a problem, each spelling of its loop (toy: the
# workshop's ** 0.5 and one with no object shared in the hot loop; spellings.py).
PURE_PYTHON = ("python", "python-local")


def _holds(free):
    return ("not measured" if free is None else "no longer holds" if free.speedup_ci_low > HELPS else
            "still holds" if free.speedup_ci_high < HELPS else "undecided")


def _why(by_impl):
    """What the two spellings' free-threaded speedups say, in words, where both ran."""
    shared, local = (by_impl.get(impl, {}).get(FREE_THREADED) for impl in PURE_PYTHON)
    if shared is None or local is None:
        return ""
    if local.speedup_ci_low > shared.speedup_ci_high:
        return (f"; pure Python scales x{fmt(local.speedup)} on free-threaded CPython when its hot loop shares no "
                f"object between threads, the workshop's (i + 4) to the power 0.5 in imported code only "
                f"x{fmt(shared.speedup)}: "
                "threads contend for its constant's reference count (python -m scipar.problems.toy.contention "
                "measures it)")
    return "; the two spellings do not differ beyond their intervals here"


def headline_rows(table):
    """The conclusion's rows: for each problem, its pure-Python implementations' threads
    speedup under each interpreter, beside the workshop's sentence, and what the two
    spellings of the toy loop say."""
    rows = []
    if table.empty:
        return rows
    pure = table[table.impl.isin(PURE_PYTHON)]
    for (kind, instance), group in pure.groupby(["problem_kind", "problem"], sort=False):
        by_impl = {impl: {r.interpreter: r for r in part.itertuples()} for impl, part in group.groupby("impl", sort=False)}
        speedups = "; ".join(
            marked(f"{impl if len(by_impl) > 1 else ''} {LABELS[i]} x{with_ci(r.speedup, r.speedup_ci_low, r.speedup_ci_high)}".strip(),
                   r.flags)
            for impl, by in by_impl.items() for i, r in by.items())
        free = by_impl.get("python", {}).get(FREE_THREADED)
        holds = _holds(by_impl.get("python-local", {}).get(FREE_THREADED) or free)
        cost = "" if free is None else (f"; one thread free-threaded / default: x"
                                        f"{with_ci(free.one_thread_vs_default, free.one_thread_vs_default_ci_low, free.one_thread_vs_default_ci_high)}")
        rows.append((f"{kind}: pure Python on {group.workers.iloc[0]} threads, free-threaded CPython "
                     f"(the workshop's sentence {holds} there)",
                     speedups + _why(by_impl), joined(*(r.flags.split("; ") for r in group.itertuples() if r.flags)),
                     f"T(1)/T(p), threads, {instance}{cost}", f"{WORKSHOP_GIL} (CPython 3.6, GIL)", ""))
    return rows


def markdown(table, left_out, unplanned):
    """The conclusion's section on interpreters: the table, what was left out and why,
    and the studies not run for want of an interpreter."""
    if table.empty and not left_out and not unplanned:
        return []
    lines = ["", "## Free-threaded Python: threads under each interpreter", "",
             f"The workshop (printed): {WORKSHOP_GIL}. Speedup is T(1)/T(p) with the threads backend; the "
             "one-thread ratio is this interpreter's T(1) over the default interpreter's (above 1: slower)."]
    if not table.empty:
        view = pd.DataFrame({
            "instance": table.problem, "impl": table.impl, "interpreter": table.interpreter.map(LABELS),
            "python": table.python, "T(1) s [95 % CI]": [with_ci(*v) for v in zip(
                table.one_thread_s, table.one_thread_ci_low_s, table.one_thread_ci_high_s)],
            "speedup [95 % CI]": [marked(with_ci(*v), f) for *v, f in zip(
                table.speedup, table.speedup_ci_low, table.speedup_ci_high, table["flags"])],
            "workers": table.workers,
            "one thread / default [95 % CI]": [with_ci(*v) for v in zip(
                table.one_thread_vs_default, table.one_thread_vs_default_ci_low, table.one_thread_vs_default_ci_high)],
            "verdict": [marked(verdict(r), r.flags) for r in table.itertuples()], "flags": table["flags"]})
        lines += ["", view.to_markdown(index=False)]
    notes = [f"- left out under the free-threaded interpreter: {kind} {impl}: {why}"
             for kind, reasons in (left_out or {}).items() for impl, why in reasons.items()]
    notes += [f"- study {study}: {why}" for study, why in (unplanned or {}).items()]
    return lines + ([""] + notes if notes else [])
