"""A cluster set as a ParaView file: VTK unstructured grid (.vtu) written by meshio.

Like the workshop's export: every point, the cluster index as point data "cluster"
(the workshop's helper wrote each label one cluster too late); one vertex cell per
point, as meshio has no poly-vertex cell (ParaView draws both alike).
"""

import meshio
import numpy as np

from scipar.atomic import atomic_path
from scipar.problems.chamfer.datasets import ClusterSet, DatasetError


def save_vtu(cluster_set, path):
    """Write `cluster_set` to `path` (.vtu) atomically."""
    mesh = meshio.Mesh(
        cluster_set.points,
        [("vertex", np.arange(cluster_set.n_points).reshape(-1, 1))],
        point_data={"cluster": np.repeat(np.arange(len(cluster_set), dtype=np.int64), cluster_set.sizes)},
    )
    with atomic_path(path, ".tmp.vtu") as tmp:
        meshio.write(tmp, mesh, file_format="vtu")
    return path


def load_vtu(path):
    """The cluster set in a .vtu file written by save_vtu (clusters in label order)."""
    try:
        mesh = meshio.read(path, file_format="vtu")
    except (Exception, SystemExit) as err:  # meshio raises many kinds, and exits, on a damaged file
        raise DatasetError(f"{path}: not a readable VTU file ({err})") from None
    if "cluster" not in mesh.point_data:
        raise DatasetError(f"{path}: no point data 'cluster'")
    labels = np.asarray(mesh.point_data["cluster"]).astype(np.int64)
    if np.any(np.diff(labels) < 0):
        raise DatasetError(f"{path}: cluster labels are not in cluster order")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(labels))]).astype(np.int64)
    return ClusterSet(np.ascontiguousarray(mesh.points, dtype=np.float64), offsets)
