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


def _label(cells):
    return cells.impl + " / " + cells.backend


def toy_figure(summary, paths):
    cells = summary[summary.study == "toy"].copy()
    cells["variant"] = cells.problem.str.split("-n").str[0]
    cells["n"] = cells.problem.str.split("-n").str[1].astype(int)
    cells = cells[cells.n == cells.n.max()]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(cells, x="impl", y="wall_median_s", hue="variant", ax=ax)
    ax.set_yscale("log")
    ax.set(xlabel="implementation", ylabel="median wall time per call (s, log scale)",
           title=f"Toy kernel, n = {cells.n.max()}: the overwrite body lets compilers delete the loops\n"
                 "(workshop figure 1 showed speedup over Cython of the overwrite body only)")
    save(fig, paths)


def gil_figure(summary, paths):
    cells = summary[summary.study == "gil"].copy()
    cells["configuration"] = _label(cells) + " (" + cells.problem + ")"
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 5), layout="constrained")
    sns.lineplot(cells, x="workers", y="wall_median_s", hue="configuration", marker="o", ax=left)
    left.legend(fontsize="small")
    for ax in (left, right):
        ax.set_xticks(sorted(cells.workers.unique()))
    _errorbars(left, cells, "workers", "wall_median_s", "wall_ci_low_s", "wall_ci_high_s", "configuration")
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
    python = cells[cells.impl == "python"].set_index("problem").wall_median_s
    cells["speedup_vs_python"] = cells.problem.map(python) / cells.wall_median_s
    fig, ax = plt.subplots(figsize=(9, 4.5))
    order = cells.groupby("impl").speedup_vs_python.median().sort_values().index
    sns.barplot(cells, x="impl", y="speedup_vs_python", order=order, ax=ax, errorbar=None)
    ax.set_yscale("log")
    ax.set(xlabel="implementation", ylabel="speedup over pure Python, T(python) / T(impl) (log)",
           title="Sequential Chamfer solve (workshop figure 2, with Euclidean distances)")
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
         ("efficiency", "efficiency, speedup / p", lambda p: 1.0, None)],
        "Strong scaling: fixed problem, more workers (the workshop's 'weak scaling', figure 3)", paths,
    )


def weak_figure(summary, paths):
    _scaling_panels(
        summary[summary.study == "weak"],
        [("weak_efficiency", "weak efficiency T(1) W(p) / (p W(1) T(p))", lambda p: 1.0, None)],
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
