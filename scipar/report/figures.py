"""The figures: one per study, drawn by its type whatever the problem, plus pictures.

sequential: speedup of each implementation over the study's baseline; gil: wall time,
CPU/wall and memory of calls spread over threads and processes; strong: speedup and
efficiency T(1)/T(p), never CPU/wall, peak memory, and where the problem times phases
of its work (images: read, rotate, write), the time of each; weak: weak efficiency;
size: throughput and speedup against the work. Work is in the problem's own unit (the summary's work_unit).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from scipar.atomic import atomic_path  # noqa: E402
from scipar.workflow.interpreters import DEFAULT  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")
# Asking for one figure makes no summary.csv: the figure's log says why each cell is circled.
FLAGGED = "flagged (why: summary.csv, or this figure's log in logs/report/)"


def save(fig, paths):
    for path in paths:
        suffix = "." + path.rsplit(".", 1)[-1]
        with atomic_path(path, ".tmp" + suffix) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _errorbars(ax, cells, x, y, low, high, hue):
    """Draw interval bars behind a seaborn line/point plot."""
    for _, group in cells.groupby(hue):
        ax.errorbar(group[x], group[y], yerr=[group[y] - group[low], group[high] - group[y]],
                    fmt="none", ecolor="grey", alpha=0.6, capsize=3)


def _mark_flagged(ax, cells, x, y, column="flags"):
    """Circle the cells whose numbers carry a flag (`column`: speedup_flags where y is
    a speedup, which carries its 1-worker cell's too), and show where oversubscription
    starts."""
    flagged = cells[cells[column].fillna("") != ""]
    if len(flagged):
        ax.scatter(flagged[x], flagged[y], s=180, facecolors="none", edgecolors="red", linewidths=1.5, zorder=5,
                   label=FLAGGED)
    cpus = cells.cpus_allowed.min()
    if x == "workers" and (cells.workers > cpus).any():
        ax.axvline(cpus, ls=":", color="red", label=f"{cpus} CPUs: oversubscribed beyond")


def _bar_intervals(ax, cells, x, order, hue=None, hue_order=(None,), low="low", high="high", y="y"):
    """Interval bars on a seaborn bar plot, matched to its bars by x and hue."""
    for container, level in zip(ax.containers, hue_order):
        part = cells if hue is None else cells[cells[hue] == level]
        for bar, name in zip(container, order):
            row = part[part[x] == name]
            if not len(row) or bar.get_height() <= 0:
                continue
            r = row.iloc[0]
            centre = bar.get_x() + bar.get_width() / 2
            if r[high] > r[low]:  # printed numbers have none
                ax.errorbar(centre, r[y], yerr=[[r[y] - r[low]], [r[high] - r[y]]], fmt="none", ecolor="black", capsize=3)
            if isinstance(r.get("speedup_flags"), str) and r["speedup_flags"]:
                ax.scatter(centre, r[y], s=180, facecolors="none", edgecolors="red", linewidths=1.5, zorder=5,
                           label=FLAGGED if not _has_flag_label(ax) else None)
            if pd.notna(r.get("wall_median_s")):  # the absolute time, at the foot of its bar
                ax.annotate(seconds(r["wall_median_s"]), (centre, 0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7,
                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))


def seconds(value):
    """A time per call as a person reads it: 3.2 µs, 41 ms, 1.5 s."""
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


def _plain_log(ax):
    """A log y axis labelled 0.5, 1, 2 rather than 10^0."""
    ax.set_yscale("log")

    def label(value, _):  # 1, 2 and 5 times a power of ten: enough to read, few enough to fit
        low, high = ax.get_ylim()
        leading = value / 10 ** np.floor(np.log10(value)) if value > 0 else 0
        return f"{value:.2g}" if high < 3 * low or any(np.isclose(leading, (1, 2, 5))) else ""

    ax.yaxis.set_major_formatter(mticker.FuncFormatter(label))
    ax.yaxis.set_minor_formatter(mticker.FuncFormatter(label))


def _has_flag_label(ax):
    return any(h.get_label().startswith("flagged") for h in ax.collections)


def _label(cells):
    return cells.impl + " / " + cells.backend


def _title(cells, what):
    return f"Study {cells.study.iloc[0]}, problem {cells.problem_kind.iloc[0]}: {what}"


def speedup_over(cells, baseline):
    """Each cell's speedup over `baseline` on its instance (y), with conservative
    intervals (low, high: the extremes of the two medians' 95 % intervals)."""
    cells = cells.copy()
    base = cells[cells.impl == baseline].set_index("problem")
    cells["y"] = cells.problem.map(base.wall_median_s) / cells.wall_median_s
    cells["low"] = cells.problem.map(base.wall_ci_low_s) / cells.wall_ci_high_s
    cells["high"] = cells.problem.map(base.wall_ci_high_s) / cells.wall_ci_low_s
    itself = cells.impl == baseline  # T(baseline) / T(baseline) of the same samples: exactly 1
    cells.loc[itself, ["y", "low", "high"]] = 1.0
    # A speedup over the baseline is as trustworthy as both cells.
    own, theirs = cells["flags"].fillna(""), cells.problem.map(base["flags"].fillna("")).fillna("")
    cells["speedup_flags"] = [("; ".join(f for f in (a, b and f"{baseline}: {b}") if f)) if impl != baseline else a
                              for a, b, impl in zip(own, theirs, cells.impl)]
    return cells


def speedup_bars(cells, baseline, title, paths, printed=None):
    """Bars of speedup over `baseline` by implementation, one colour per instance;
    `printed`, {series label: {impl: speedup}}, adds numbers not measured here (the
    workshop's) as series of their own, without intervals."""
    cells = speedup_over(cells, baseline)
    order = list(cells.groupby("impl").y.median().sort_values().index)
    series = sorted(cells.problem.unique())
    for label, values in (printed or {}).items():
        extra = [dict(impl=impl, problem=label, y=y, low=y, high=y) for impl, y in values.items() if impl in order]
        cells = pd.concat([cells, pd.DataFrame(extra)], ignore_index=True)
        series.append(label)
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(order) + 2), 4.5))
    sns.barplot(cells, x="impl", y="y", hue="problem", order=order, hue_order=series, ax=ax, errorbar=None)
    _bar_intervals(ax, cells, "impl", order, "problem", series)
    ax.set_yscale("log")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(title="instance", fontsize="small")
    ax.set(xlabel="implementation (at the foot of each bar: its median time per call)",
           ylabel=f"speedup over {baseline} (log)\nT({baseline}) / T(impl), bars: 95 % interval", title=title)
    save(fig, paths)


def sequential_figure(cells, paths, baseline=None):
    """Speedup over the baseline implementation, per instance."""
    if baseline is None:  # the slowest, over all instances
        baseline = cells.groupby("impl").wall_median_s.median().idxmax()
    speedup_bars(cells, baseline, _title(cells, f"each implementation alone, against {baseline}"), paths)


def gil_figure(cells, paths, baseline=None):
    cells = cells.copy()
    cells["configuration"] = _label(cells) + " (" + cells.problem + ")"
    fig, (left, right, memory) = plt.subplots(1, 3, figsize=(21, 5), layout="constrained")
    sns.lineplot(cells, x="workers", y="wall_median_s", hue="configuration", marker="o", ax=left)
    for ax in (left, right, memory):
        ax.set_xticks(sorted(cells.workers.unique()))
    _errorbars(left, cells, "workers", "wall_median_s", "wall_ci_low_s", "wall_ci_high_s", "configuration")
    _mark_flagged(left, cells, "workers", "wall_median_s")
    left.legend(fontsize="small")
    left.set_yscale("log")  # cells microseconds apart from seconds (a deleted loop) stay visible
    left.set(ylabel="median wall time (s, log)", xlabel="workers (threads or processes)", title="Wall time of all calls")
    sns.lineplot(cells, x="workers", y="utilisation_median", hue="configuration", marker="o", ax=right, legend=False)
    top = cells.workers.max()
    right.plot([1, top], [1, top], "k--", lw=1, label="all workers busy")
    right.set(ylabel="CPU time / wall time (all threads and processes)", xlabel="workers (threads or processes)",
              title="Utilisation: only kernels without the GIL use threads")
    right.legend()
    sns.lineplot(cells, x="workers", y=MEMORY_PANEL[0], hue="configuration", marker="o", ax=memory, legend=False)
    memory.set(ylabel=MEMORY_PANEL[1], xlabel="workers (threads or processes)",
               title="Memory: processes copy what threads share")
    fig.suptitle(_title(cells, "whole calls spread over threads and processes (the GIL demonstration)"))
    save(fig, paths)


def _scaling_panels(cells, panels, title, paths, extra=()):
    """One column per problem, one row per (metric, label, ideal line or None, interval
    columns), then a row per `extra` function(ax, cells of one problem)."""
    cells = cells[cells.groupby(["problem", "impl", "backend"]).workers.transform("nunique") > 1].copy()
    cells["configuration"] = _label(cells)
    problems = sorted(cells.problem.unique())
    if not problems:  # one worker count only (--cores 1): nothing scales; say so, do not fail the run
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{title}\n\nevery configuration ran at one worker count only:\nno scaling to draw "
                "(per-call times: results/tables/summary.csv)", ha="center", va="center")
        save(fig, paths)
        return
    rows = len(panels) + len(extra)
    fig, axes = plt.subplots(rows, len(problems), figsize=(6 * len(problems) + 3, 4.5 * rows),
                             squeeze=False, layout="constrained")
    for row, (metric, ylabel, ideal, interval) in enumerate(panels):
        for ax, problem in zip(axes[row], problems):
            part = cells[cells.problem == problem]
            sns.lineplot(part, x="workers", y=metric, hue="configuration", style="configuration", markers=True, ax=ax)
            if interval:
                _errorbars(ax, part, "workers", metric, *interval, "configuration")
            _mark_flagged(ax, part, "workers", metric, "speedup_flags" if "efficiency" in metric or metric == "speedup"
                          else "flags")
            top = part.workers.max()
            if ideal:
                ax.plot([1, top], [ideal(1), ideal(top)], "k--", lw=1, label="ideal")
            ax.set(xlabel="workers (threads or processes)", ylabel=ylabel, title=problem)
            if metric == "wall_median_s":
                ax.set_yscale("log")
            elif interval:  # ratios: as wide below the ideal as above, and one wide interval flattened every line
                _plain_log(ax)
            ax.set_xticks(sorted(part.workers.unique()))
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    for row, draw in enumerate(extra, len(panels)):
        for ax, problem in zip(axes[row], problems):
            draw(ax, cells[cells.problem == problem])
    fig.suptitle(title)
    save(fig, paths)


MEMORY_PANEL = ("memory_peak_mib", "peak resident memory (MiB)\nthe job's process + its worker processes", None, None)


def phase_columns(cells):
    return [c for c in cells.columns if c.startswith("phase_") and cells[c].notna().any()]


def _phase_panel(ax, cells):
    """Where the time goes: each phase's seconds per call, per worker (summed over
    workers, divided by them), stacked, beside the measured wall time per call."""
    phases = phase_columns(cells)
    cells = cells.sort_values(["backend", "workers"])
    labels = [f"{b} x{w}" for b, w in zip(cells.backend, cells.workers)]
    x = np.arange(len(cells))
    bottom = np.zeros(len(cells))
    for column in phases:
        height = (cells[column] / cells.workers).to_numpy()
        ax.bar(x, height, bottom=bottom, width=0.6, label=column.removeprefix("phase_").removesuffix("_s"))
        bottom += height
    ax.scatter(x, cells.wall_median_s, color="black", marker="_", s=600, zorder=5, label="wall time per call")
    ax.set_xticks(x, labels, rotation=30)
    ax.set(ylabel="seconds per call, per worker", xlabel="backend x workers",
           title="Phases: a phase whose time per image grows with threads waits for the GIL")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))


# Every scaling figure's first row: the absolute time per call, with its interval.
TIME_PANEL = ("wall_median_s", "median time per call (s, log)\n95 % interval", None, ("wall_ci_low_s", "wall_ci_high_s"))


def strong_figure(cells, paths, baseline=None):
    _scaling_panels(
        cells,
        [TIME_PANEL,
         ("speedup", "speedup T(1) / T(p), log\n95 % interval", lambda p: p, ("speedup_ci_low", "speedup_ci_high")),
         ("efficiency", "efficiency, speedup / p, log\n95 % interval", lambda p: 1.0, ("efficiency_ci_low", "efficiency_ci_high")),
         MEMORY_PANEL],
        _title(cells, "strong scaling, a fixed instance and more workers"), paths,
        extra=[_phase_panel] if phase_columns(cells) else [],
    )


def weak_figure(cells, paths, baseline=None):
    _scaling_panels(
        cells,
        [TIME_PANEL,
         ("weak_efficiency", "weak efficiency T(1) W(p) / (p W(1) T(p)), log\n95 % interval", lambda p: 1.0,
          ("weak_efficiency_ci_low", "weak_efficiency_ci_high"))],
        _title(cells, "weak scaling, the work grows with the workers"), paths,
    )


def size_figure(cells, paths, baseline=None):
    cells = cells.copy()
    unit = cells.work_unit.iloc[0]
    cells["configuration"] = _label(cells) + " x" + cells.workers.astype(str)
    cells["rate"] = cells.work / cells.wall_median_s
    fig, (times, left, right) = plt.subplots(1, 3, figsize=(18, 4.5), layout="constrained")
    sns.lineplot(cells, x="work", y="wall_median_s", hue="configuration", marker="o", ax=times)
    _errorbars(times, cells, "work", "wall_median_s", "wall_ci_low_s", "wall_ci_high_s", "configuration")
    _mark_flagged(times, cells, "work", "wall_median_s")
    times.legend(fontsize="small")
    times.set(xscale="log", yscale="log", xlabel=f"{unit} in the instance (log)",
              ylabel="median time per call (s, log), 95 % interval", title="Time per call")
    sns.lineplot(cells, x="work", y="rate", hue="configuration", marker="o", ax=left, legend=False)
    _mark_flagged(left, cells, "work", "rate")
    left.set(xscale="log", yscale="log", xlabel=f"{unit} in the instance (log)",
             ylabel=f"{unit} per second (log)", title="Throughput")
    par = cells[cells.workers > 1]
    sns.lineplot(par, x="work", y="speedup", hue="configuration", marker="o", ax=right)
    _errorbars(right, par, "work", "speedup", "speedup_ci_low", "speedup_ci_high", "configuration")
    _mark_flagged(right, par, "work", "speedup", "speedup_flags")
    right.legend(fontsize="small")
    _plain_log(right)
    right.set(xscale="log", xlabel=f"{unit} in the instance (log)", ylabel="speedup T(1) / T(p), log",
              title="Speedup at fixed workers")
    fig.suptitle(_title(cells, "size sweep, fixed workers and growing instances"))
    save(fig, paths)


def interpreters_figure(cells, paths, baseline=None):
    """Studies under several interpreters: per implementation, the threads' speedup
    T(1)/T(p) under each interpreter (top), and its one-thread time (bottom)."""
    from scipar.report.interpreters import LABELS

    cells = cells[cells.backend == "threads"].copy()
    cells["interpreter"] = cells.interpreter.map(LABELS)
    order = [label for label in LABELS.values() if label in set(cells.interpreter)]
    impls = list(dict.fromkeys(cells.sort_values("wall_median_s", ascending=False).impl))
    fig, axes = plt.subplots(2, len(impls), figsize=(4.5 * len(impls) + 1, 8), squeeze=False, layout="constrained")
    top = cells.workers.max()
    for column, impl in enumerate(impls):
        part = cells[cells.impl == impl]
        speed, one = axes[0, column], axes[1, column]
        sns.lineplot(part, x="workers", y="speedup", hue="interpreter", hue_order=order, marker="o", ax=speed,
                     legend=column == 0)
        _errorbars(speed, part, "workers", "speedup", "speedup_ci_low", "speedup_ci_high", "interpreter")
        _mark_flagged(speed, part, "workers", "speedup", "speedup_flags")
        speed.plot([1, top], [1, top], "k--", lw=1, label="ideal")
        speed.set_xticks(sorted(part.workers.unique()))
        # Log axes: intervals on a ratio are as wide below 1 as above, and a linear axis
        # let one wide interval flatten every curve.
        _plain_log(speed)
        speed.set(title=f"{impl}: threads", xlabel="threads", ylabel="speedup T(1)/T(p), log\nbars: 95 % interval")
        if column == 0:
            speed.legend(fontsize="small")
        single = part[part.workers == 1].set_index("interpreter").reindex(order)
        one.bar(order, single.wall_median_s, color=sns.color_palette()[:len(order)],
                yerr=[single.wall_median_s - single.wall_ci_low_s, single.wall_ci_high_s - single.wall_median_s],
                capsize=4)
        one.tick_params(axis="x", labelrotation=15)
        _plain_log(one)
        one.set(title=f"{impl}: one thread", xlabel="", ylabel="median wall time (s), log\nbars: 95 % interval")
    instance = ", ".join(cells.problem.unique())
    fig.suptitle(_title(cells, f"threads under each interpreter ({instance})"))
    save(fig, paths)


FIGURES = {
    "sequential": sequential_figure, "gil": gil_figure,
    "strong": strong_figure, "weak": weak_figure, "size": size_figure,
}


def study_figure(summary, study, paths, baseline=None):
    """The figure of one study, drawn by its type."""
    cells = summary[summary.study == study]
    if cells.empty:
        raise ValueError(f"study {study!r} has no cell in the summary")
    if (cells.interpreter != DEFAULT).any():
        return interpreters_figure(cells, paths, baseline)
    FIGURES[cells.study_type.iloc[0]](cells, paths, baseline)


VERDICT_COLOURS = {"faster": "tab:green", "higher": "tab:green", "slower": "tab:red", "lower": "tab:red",
                   "no change": "tab:grey", "inconclusive": "tab:orange"}


def _ratio_panel(ax, rows, margin, what):
    """Every matched cell's ratio NEW / BASE with its interval, sorted, coloured by verdict."""
    from scipar.report.cells import cell_label

    rows = rows.sort_values("ratio").reset_index(drop=True)
    y = np.arange(len(rows))
    ax.axvspan(1 / (1 + margin), 1 + margin, color="tab:blue", alpha=0.2, label=f"within +-{margin:.0%}: no change")
    ax.axvline(1, color="k", lw=1)
    for verdict, part in rows.groupby("verdict"):
        ax.errorbar(part.ratio, part.index, xerr=[part.ratio - part.ratio_ci_low, part.ratio_ci_high - part.ratio],
                    fmt="o", color=VERDICT_COLOURS[verdict], capsize=2, label=verdict)
    flagged = rows[rows.flagged]
    if len(flagged):
        ax.scatter(flagged.ratio, flagged.index, s=150, facecolors="none", edgecolors="red", linewidths=1.5,
                   zorder=5, label="flagged in one run or both")
    ax.set_yticks(y, [cell_label(r) for r in rows.to_dict("records")], fontsize="x-small")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel=f"{what}: NEW / BASE (95 % interval)", ylim=(-1, len(rows)))
    # Beside the panel: inside it hid points, below it hid the axis label.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))


def compare_figure(result, paths):
    """Per-call time and speedup ratios of two runs, and their scaling curves side by side."""
    cells, margin = result["cells"], result["margin"]
    times, speedups = cells[cells.quantity == "per-call time"], cells[cells.quantity == "speedup"]
    scaling = result["scaling"]
    scaling = scaling[scaling.groupby(["run", "study", "problem", "impl", "interpreter", "backend"])
                      .workers.transform("nunique") > 1]
    panels = [p for p in (times, speedups) if len(p)]
    height = max(4.0, 0.18 * max(len(p) for p in panels) + 1.5)
    fig, axes = plt.subplots(1, len(panels) + bool(len(scaling)), figsize=(8 * len(panels) + 7, height),
                             squeeze=False, layout="constrained")
    for ax, rows, what in zip(axes[0], panels, ("per-call time", "speedup T(1)/T(p)")):
        _ratio_panel(ax, rows, margin, what)
        ax.set_title("slower to the right" if what == "per-call time" else "higher speedup to the right")
    if len(scaling):
        ax = axes[0][-1]
        scaling = scaling.assign(configuration=scaling.study + " " + scaling.impl + " " + scaling.backend)
        sns.lineplot(scaling, x="workers", y="speedup", hue="configuration", style="run", markers=True, ax=ax)
        _errorbars(ax, scaling, "workers", "speedup", "speedup_ci_low", "speedup_ci_high", "configuration")
        ax.set_xticks(sorted(scaling.workers.unique()))
        ax.set(title="scaling: BASE and NEW", ylabel="speedup T(1)/T(p) (95 % interval)")
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(f"NEW against BASE, {result['overall']['cells']} cells in both runs")
    save(fig, paths)
