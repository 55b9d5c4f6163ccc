"""A picture of a Chamfer instance: its two cluster sets in 3-D, one colour per cluster."""

import numpy as np

from scipar.atomic import atomic_path


def draw(L, R, title, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 5))
    for k, (clusters, name) in enumerate(((L, "L"), (R, "R"))):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        colours = np.repeat(np.arange(len(clusters)), clusters.sizes)
        ax.scatter(*clusters.points.T, c=colours, cmap="tab20", s=2, alpha=0.6)
        ax.set(title=f"{name}: {len(clusters)} clusters, {clusters.n_points} points", xlabel="x", ylabel="y", zlabel="z")
    fig.suptitle(title)
    with atomic_path(path, ".tmp.png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
