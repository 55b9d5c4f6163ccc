"""The workshop's four figures, redrawn: this run's numbers beside the ones it printed.

1. toy kernel, sequential speedups over pure Python;
2. Chamfer matching, sequential speedups over pure Python;
3. speedup against threads on the strong-scaling problem, with a relative panel (/ p);
4. speedup against problem size at fixed threads, with a normalised panel (/ p).

Figures 3 and 4 draw, for the threads backend (the workshop's), both this run's
speedup T(1)/T(p) (with its interval) and its CPU/wall, beside the CPU/wall the workshop
printed and called speedup: the gap between the two measured lines is the workshop's
defect 5, and the printed line is comparable only with the CPU/wall one.
"""

import matplotlib.pyplot as plt

from scipar.report import workshop
from scipar.report.cells import where
from scipar.report.figures import FLAGGED, save, speedup_bars
from scipar.workflow.interpreters import DEFAULT, interpreters

PRINTED = workshop.SOURCE
# Which study each figure draws: (study type, problem), and what the study must have
# for it: (config key, value), the baseline of the speedup bars or the backend drawn.
NEEDS = {1: ("sequential", "toy"), 2: ("sequential", "chamfer"), 3: ("strong", "chamfer"), 4: ("size", "chamfer")}
HAS = {1: ("impls", "python"), 2: ("impls", "python"), 3: ("backends", "threads"), 4: ("backends", "threads")}


def _candidates(config_studies, n):
    return [name for name, spec in config_studies.items()
            if (spec["type"], spec["problem"]) == NEEDS[n] and interpreters(spec) == [DEFAULT]]


def studies(config_studies):
    """{figure number: the names of the studies it draws}, for the figures a config's
    studies ({name: spec}) can draw; studies under other interpreters have their own."""
    found = {n: [name for name in _candidates(config_studies, n) if HAS[n][1] in config_studies[name].get(HAS[n][0], [])]
             for n in NEEDS}
    return {n: names for n, names in found.items() if names}


def skipped(config_studies):
    """Why a workshop figure whose study the config has is not drawn: [note]."""
    drawn = studies(config_studies)
    return [f"workshop figure {n} not drawn: studies {names} have no {HAS[n][1]!r} in their {HAS[n][0]}, "
            "which it draws" for n in NEEDS if n not in drawn and (names := _candidates(config_studies, n))]


def _cells(summary, n):
    study_type, kind = NEEDS[n]
    cells = where(summary, study_type=study_type, problem_kind=kind)
    if cells.empty:
        raise ValueError(f"workshop figure {n} needs a {study_type} study of problem {kind}; this run has none")
    return cells


def fig1(summary, timings, paths):
    speedup_bars(_cells(summary, 1), "python", "Workshop figure 1: the toy kernel, each implementation alone",
                 paths, {f"{PRINTED}, {workshop.TOY_INSTANCE}": workshop.TOY_SPEEDUP})


def fig2(summary, timings, paths):
    speedup_bars(_cells(summary, 2), "python", "Workshop figure 2: Chamfer matching, each implementation alone",
                 paths, {f"{PRINTED}, {workshop.CHAMFER_INSTANCE}": workshop.CHAMFER_SPEEDUP})


def _threads(cells):
    cells = where(cells, backend="threads").copy()
    if cells.empty:
        raise ValueError("this workshop figure draws the threads backend; the study has no threads cell")
    return cells


def _measured(ax, cells, x, divide):
    """This run: speedup with its interval (solid) and CPU/wall (dashed), per implementation."""
    for impl, part in cells.groupby("impl"):
        part = part.sort_values(x)
        p = part.workers if divide else 1
        line, = ax.plot(part[x], part.speedup / p, "o-", label=f"{impl}: T(1)/T(p), this run")
        ax.errorbar(part[x], part.speedup / p, yerr=[(part.speedup - part.speedup_ci_low) / p,
                                                     (part.speedup_ci_high - part.speedup) / p],
                    fmt="none", ecolor=line.get_color(), alpha=0.6, capsize=3)
        ax.plot(part[x], part.utilisation_median / p, "^--", color=line.get_color(), alpha=0.7,
                label=f"{impl}: CPU/wall, this run")
    flagged = cells[cells["speedup_flags"].fillna("") != ""]
    if len(flagged):  # noisy, busy or too good: summary.csv and the figure's log say why
        ax.scatter(flagged[x], flagged.speedup / (flagged.workers if divide else 1), s=180, facecolors="none",
                   edgecolors="red", linewidths=1.5, zorder=5, label=FLAGGED)


def fig3(summary, timings, paths):
    cells = _threads(_cells(summary, 3))
    instance = cells.loc[cells.work.idxmax()].problem  # the largest strong-scaling instance
    cells = cells[cells.problem == instance]
    printed_p = sorted(workshop.UTILISATION_BY_THREADS)
    printed = [workshop.UTILISATION_BY_THREADS[p] for p in printed_p]
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 5), layout="constrained")
    for ax, divide in ((left, False), (right, True)):
        _measured(ax, cells, "workers", divide)
        ax.plot(printed_p, [u / p if divide else u for u, p in zip(printed, printed_p)], "ks:",
                label=f"{PRINTED}: CPU/wall it called speedup, 83,219 points")
        top = max(cells.workers.max(), *printed_p)
        ax.plot([1, top], [1, 1] if divide else [1, top], "k--", lw=1, label="ideal")
        ax.set(xscale="log", xlabel="threads (log)")
        ax.set_xticks(sorted(set(cells.workers) | set(printed_p)), labels=None)
        ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    left.set(ylabel="speedup", title="Speedup against threads")
    right.set(ylabel="relative speedup: speedup / threads", title="Relative speedup (1 = linear)")
    right.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(f"Workshop figure 3: strong scaling of Chamfer instance {instance}, threads backend")
    save(fig, paths)


def fig4(summary, timings, paths):
    cells = _threads(_cells(summary, 4))
    cells = cells[cells.workers == cells.workers.max()].copy()
    if (cells.workers < 2).all():
        raise ValueError("workshop figure 4 needs a size study with more than one worker")
    sizes = where(timings, problem_kind="chamfer", study_type="size").groupby("problem").first()
    cells["points"] = cells.problem.map(sizes.n_points_l + sizes.n_points_r)
    p = int(cells.workers.iloc[0])
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 5), layout="constrained")
    for ax, divide in ((left, False), (right, True)):
        _measured(ax, cells, "points", divide)
        points = sorted(workshop.UTILISATION_BY_POINTS)
        ax.plot(points, [workshop.UTILISATION_BY_POINTS[n] / (4 if divide else 1) for n in points], "ks:",
                label=f"{PRINTED}: CPU/wall it called speedup, 4 threads")
        ax.axhline(1 if divide else p, color="k", ls="--", lw=1, label=f"ideal at {p} threads")
        ax.set(xscale="log", xlabel="points in L and R (log)")
    left.set(ylabel="speedup", title=f"Speedup at {p} threads against problem size")
    right.set(ylabel="normalised: speedup / threads", title="Normalised (1 = linear)")
    right.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(f"Workshop figure 4: Chamfer problem size sweep at {p} threads (workshop: 4), threads backend")
    save(fig, paths)


FIGURES = {1: fig1, 2: fig2, 3: fig3, 4: fig4}
