"""The figures: one per study, plus a picture of each problem's point clouds.

The workshop's four figures are recreated with correct labels: its toy and Chamfer
sequential speedups, its "weak scaling" (a strong-scaling experiment, drawn here as
strong scaling with T(1)/T(p), not CPU/wall) and its "strong scaling" (a size sweep).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from scipar.atomic import atomic_path  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")


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


def _mark_flagged(ax, cells, x, y):
    """Circle the cells whose numbers carry a flag, and show where oversubscription starts."""
    flagged = cells[cells["flags"].fillna("") != ""]
    if len(flagged):
        ax.scatter(flagged[x], flagged[y], s=180, facecolors="none", edgecolors="red", linewidths=1.5, zorder=5,
                   label="flagged (summary.csv, flags)")
    cpus = cells.cpus_allowed.min()
    if x == "workers" and (cells.workers > cpus).any():
        ax.axvline(cpus, ls=":", color="red", label=f"{cpus} CPUs: oversubscribed beyond")


def _bar_intervals(ax, cells, x, order, hue=None, hue_order=(None,), low="low", high="high", y="y"):
    """Interval bars on a seaborn bar plot, matched to its bars by x and hue."""
    for container, level in zip(ax.containers, hue_order):
        part = cells if hue is None else cells[cells[hue] == level]
        for bar, name in zip(container, order):
            row = part[part[x] == name]
            if len(row) and bar.get_height() > 0:
                r = row.iloc[0]
                centre = bar.get_x() + bar.get_width() / 2
                ax.errorbar(centre, r[y], yerr=[[r[y] - r[low]], [r[high] - r[y]]], fmt="none", ecolor="black", capsize=3)


def _label(cells):
    return cells.impl + " / " + cells.backend


def toy_figure(summary, paths):
    cells = summary[summary.study == "toy"].copy()
    cells["variant"] = cells.problem.str.split("-n").str[0]
    cells["n"] = cells.problem.str.split("-n").str[1].astype(int)
    cells = cells[cells.n == cells.n.max()]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    order, variants = list(dict.fromkeys(cells.impl)), list(dict.fromkeys(cells.variant))
    sns.barplot(cells, x="impl", y="wall_median_s", hue="variant", order=order, hue_order=variants, ax=ax)
    _bar_intervals(ax, cells, "impl", order, "variant", variants, "wall_ci_low_s", "wall_ci_high_s", "wall_median_s")
    ax.set_yscale("log")
    ax.set(xlabel="implementation", ylabel="median wall time per call (s, log scale)\nbars: 95 % interval",
           title=f"Toy kernel, n = {cells.n.max()}: the overwrite body lets compilers delete the loops\n"
                 "(workshop figure 1 showed speedup over Cython of the overwrite body only)")
    save(fig, paths)


def gil_figure(summary, paths):
    cells = summary[summary.study == "gil"].copy()
    cells["configuration"] = _label(cells) + " (" + cells.problem + ")"
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 5), layout="constrained")
    sns.lineplot(cells, x="workers", y="wall_median_s", hue="configuration", marker="o", ax=left)
    for ax in (left, right):
        ax.set_xticks(sorted(cells.workers.unique()))
    _errorbars(left, cells, "workers", "wall_median_s", "wall_ci_low_s", "wall_ci_high_s", "configuration")
    _mark_flagged(left, cells, "workers", "wall_median_s")
    left.legend(fontsize="small")
    left.set(ylabel="median wall time (s)", xlabel="workers (threads or processes)", title="Wall time of all calls")
    sns.lineplot(cells, x="workers", y="utilisation_median", hue="configuration", marker="o", ax=right, legend=False)
    top = cells.workers.max()
    right.plot([1, top], [1, top], "k--", lw=1, label="all workers busy")
    right.set(ylabel="CPU time / wall time (all threads and processes)", xlabel="workers (threads or processes)",
              title="Utilisation: only kernels without the GIL use threads")
    right.legend()
    fig.suptitle("GIL demonstration: toy kernel calls spread over threads and processes")
    save(fig, paths)


def chamfer_figure(summary, paths):
    cells = summary[summary.study == "chamfer"].copy()
    python = cells[cells.impl == "python"].set_index("problem")
    cells["speedup_vs_python"] = cells.problem.map(python.wall_median_s) / cells.wall_median_s
    # Conservative interval: the extremes of the two medians' 95 % intervals.
    cells["low"] = cells.problem.map(python.wall_ci_low_s) / cells.wall_ci_high_s
    cells["high"] = cells.problem.map(python.wall_ci_high_s) / cells.wall_ci_low_s
    first = cells[cells.problem == cells.problem.min()]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    order = list(first.sort_values("speedup_vs_python").impl)
    sns.barplot(first, x="impl", y="speedup_vs_python", order=order, ax=ax, errorbar=None)
    _bar_intervals(ax, first, "impl", order, y="speedup_vs_python")
    ax.set_yscale("log")
    ax.tick_params(axis="x", labelrotation=30)
    ax.set(xlabel="implementation", ylabel="speedup over pure Python (log)\nT(python) / T(impl), bars: 95 % interval",
           title=f"Sequential Chamfer solve of {first.problem.iloc[0]}\n(workshop figure 2, with Euclidean distances)")
    save(fig, paths)


def _scaling_panels(cells, panels, title, paths):
    """One column per problem, one row per (metric, label, ideal line, interval columns)."""
    cells = cells[cells.groupby(["problem", "impl", "backend"]).workers.transform("nunique") > 1].copy()
    cells["configuration"] = _label(cells)
    problems = sorted(cells.problem.unique())
    fig, axes = plt.subplots(len(panels), len(problems), figsize=(6 * len(problems) + 3, 4.5 * len(panels)),
                             squeeze=False, layout="constrained")
    for row, (metric, ylabel, ideal, interval) in enumerate(panels):
        for ax, problem in zip(axes[row], problems):
            part = cells[cells.problem == problem]
            sns.lineplot(part, x="workers", y=metric, hue="configuration", style="configuration", markers=True, ax=ax)
            if interval:
                _errorbars(ax, part, "workers", metric, *interval, "configuration")
            _mark_flagged(ax, part, "workers", metric)
            top = part.workers.max()
            ax.plot([1, top], [ideal(1), ideal(top)], "k--", lw=1, label="ideal")
            ax.set(xlabel="workers (threads or processes)", ylabel=ylabel, title=problem)
            ax.set_xticks(sorted(part.workers.unique()))
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(title)
    save(fig, paths)


def strong_figure(summary, paths):
    _scaling_panels(
        summary[summary.study == "strong"],
        [("speedup", "speedup T(1) / T(p), 95 % interval", lambda p: p, ("speedup_ci_low", "speedup_ci_high")),
         ("efficiency", "efficiency, speedup / p, 95 % interval", lambda p: 1.0, ("efficiency_ci_low", "efficiency_ci_high"))],
        "Strong scaling: fixed problem, more workers (the workshop's 'weak scaling', figure 3)", paths,
    )


def weak_figure(summary, paths):
    _scaling_panels(
        summary[summary.study == "weak"],
        [("weak_efficiency", "weak efficiency T(1) W(p) / (p W(1) T(p))\n95 % interval", lambda p: 1.0,
          ("weak_efficiency_ci_low", "weak_efficiency_ci_high"))],
        "Weak scaling: the work grows with the workers", paths,
    )


def size_figure(summary, paths):
    cells = summary[summary.study == "size"].copy()
    cells["configuration"] = _label(cells) + " x" + cells.workers.astype(str)
    cells["pairs_per_s"] = cells.work / cells.wall_median_s
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    sns.lineplot(cells, x="work", y="pairs_per_s", hue="configuration", marker="o", ax=left)
    left.set(xscale="log", yscale="log", xlabel="point pairs in the problem (log)",
             ylabel="point pairs per second (log)", title="Throughput")
    par = cells[cells.workers > 1]
    sns.lineplot(par, x="work", y="speedup", hue="configuration", marker="o", ax=right)
    _errorbars(right, par, "work", "speedup", "speedup_ci_low", "speedup_ci_high", "configuration")
    _mark_flagged(right, par, "work", "speedup")
    right.legend(fontsize="small")
    right.set(xscale="log", xlabel="point pairs in the problem (log)", ylabel="speedup T(1) / T(p)",
              title="Speedup at fixed workers")
    fig.suptitle("Size sweep: fixed workers, growing problem (the workshop's 'strong scaling', figure 4)")
    save(fig, paths)


def problem_figure(L, R, title, path):
    fig = plt.figure(figsize=(10, 5))
    for k, (clusters, name) in enumerate(((L, "L"), (R, "R"))):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        colours = np.repeat(np.arange(len(clusters)), clusters.sizes)
        ax.scatter(*clusters.points.T, c=colours, cmap="tab20", s=2, alpha=0.6)
        ax.set(title=f"{name}: {len(clusters)} clusters, {clusters.n_points} points", xlabel="x", ylabel="y", zlabel="z")
    fig.suptitle(title)
    save(fig, [path])


FIGURES = {
    "toy": toy_figure, "gil": gil_figure, "chamfer": chamfer_figure,
    "strong": strong_figure, "weak": weak_figure, "size": size_figure,
}
