"""Cluster sets: the workshop's generator, and one file per set.

A cluster set is stored flat: `points` is an (N, 3) C-contiguous float64 array holding
every cluster one after the other, `offsets` an (k + 1,) int64 array such that cluster
c is `points[offsets[c]:offsets[c + 1]]`. Flat storage gives compiled kernels one
contiguous block and makes a set one file.
"""

import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from scipar.atomic import atomic_path
from scipar.npz import DatasetError, read_npz

FORMAT_VERSION = 1
PARAMS = ("cluster_count", "max_size", "seed")
# Kernels compare squared distances: beyond this magnitude a coordinate difference
# squared overflows float64 (1.8e308) and every distance reads inf.
MAX_COORDINATE = 1e150


@dataclass(frozen=True, eq=False)
class ClusterSet:
    points: np.ndarray
    offsets: np.ndarray
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        problem = _layout_problem(self.points, self.offsets)
        if problem:
            raise ValueError(f"invalid cluster set: {problem}")

    @classmethod
    def from_clusters(cls, clusters, params=None):
        """Build a set from a list of (n_i, 3) arrays, checking each one."""
        clusters = list(clusters)
        if not clusters:
            raise ValueError("empty cluster list: a cluster set needs at least one cluster")
        checked = [_checked_cluster(c, i) for i, c in enumerate(clusters)]
        sizes = [len(c) for c in checked]
        offsets = np.zeros(len(checked) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return cls(np.ascontiguousarray(np.concatenate(checked)), offsets, dict(params or {}))

    def __len__(self):
        return len(self.offsets) - 1

    # A list of (n_i, 3) arrays to the workshop's code (`for c in L`, `L[3]`, `L[:3]`),
    # while the kernels keep the flat layout.
    def __iter__(self):
        return iter(self.clusters)

    def __getitem__(self, index):
        """Cluster `index` as an (n, 3) view; a slice gives a ClusterSet of those clusters."""
        if isinstance(index, slice):
            chosen = self.clusters[index]
            if not chosen:
                raise IndexError(f"slice {index} selects no cluster of {len(self)}")
            return ClusterSet.from_clusters(chosen)
        return self.clusters[index]

    @property
    def n_points(self):
        return int(self.offsets[-1])

    @property
    def sizes(self):
        return np.diff(self.offsets)

    @cached_property
    def clusters(self):
        """Each cluster as an (n_i, 3) C-contiguous view of `points`."""
        return [self.points[a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    @cached_property
    def soa(self):
        """Structure of arrays: x, y and z as three contiguous rows of a (3, N) array."""
        return np.ascontiguousarray(self.points.T)


def as_cluster_set(clusters, name="clusters"):
    """Accept a ClusterSet or a list of (n_i, 3) float arrays; name the argument on error."""
    if isinstance(clusters, ClusterSet):
        return clusters
    if isinstance(clusters, np.ndarray):
        raise TypeError(
            f"{name}: expected a list of (n, 3) arrays or a ClusterSet, got one array "
            f"of shape {clusters.shape}; wrap a single cluster in a list"
        )
    try:
        return ClusterSet.from_clusters(clusters)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: {err}") from None


def _checked_cluster(cluster, index):
    arr = np.asarray(cluster)
    if arr.dtype.kind != "f":
        raise TypeError(f"cluster {index} has dtype {arr.dtype}; expected floating point (float64)")
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"cluster {index} has shape {arr.shape}; expected (n, 3)")
    if arr.shape[0] == 0:
        raise ValueError(f"cluster {index} is empty; every cluster needs at least one point")
    if not np.isfinite(arr).all():
        raise ValueError(f"cluster {index} holds NaN or infinite coordinates")
    if np.abs(arr).max() > MAX_COORDINATE:
        raise ValueError(f"cluster {index} has a coordinate beyond +-{MAX_COORDINATE:g}, where squared distances overflow")
    return arr.astype(np.float64, copy=False)


def _layout_problem(points, offsets):
    """Return what is wrong with a flat (points, offsets) pair, or None."""
    if not isinstance(points, np.ndarray) or points.dtype != np.float64:
        return f"points must be a float64 array, got {getattr(points, 'dtype', type(points))}"
    if points.ndim != 2 or points.shape[1] != 3:
        return f"points must have shape (N, 3), got {points.shape}"
    if not points.flags.c_contiguous:
        return "points must be C-contiguous"
    if not isinstance(offsets, np.ndarray) or offsets.dtype != np.int64 or offsets.ndim != 1:
        return "offsets must be a 1-D int64 array"
    if len(offsets) < 2:
        return "there must be at least one cluster"
    if offsets[0] != 0 or offsets[-1] != len(points):
        return f"offsets must run from 0 to {len(points)}, got {offsets[0]}..{offsets[-1]}"
    if np.any(np.diff(offsets) <= 0):
        return "every cluster needs at least one point (offsets must increase strictly)"
    if not np.isfinite(points).all():
        return "points hold NaN or infinite coordinates"
    if np.abs(points).max() > MAX_COORDINATE:
        return f"a coordinate beyond +-{MAX_COORDINATE:g}, where squared distances overflow"
    return None


def gen_clusters(cluster_count, max_size, seed=0):
    """The workshop's generator, draw for draw.

    It seeded NumPy's legacy global generator and drew the cluster sizes with
    randint(1, max_size, cluster_count), then for each cluster means = randint(1, 10, 3),
    sigmas = randint(1, 3, 3) and normal(means, sigmas, (size, 3)). A private
    RandomState gives the same stream without touching the global one.
    """
    for name, value, low in (("cluster_count", cluster_count, 1), ("max_size", max_size, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.RandomState(seed)
    clusters = []
    for size in rng.randint(1, max_size, cluster_count):
        means, sigmas = rng.randint(1, 10, 3), rng.randint(1, 3, 3)
        clusters.append(rng.normal(loc=means, scale=sigmas, size=(size, 3)))
    params = dict(cluster_count=int(cluster_count), max_size=int(max_size), seed=int(seed))
    return ClusterSet.from_clusters(clusters, params)


def save_clusters(cluster_set, path):
    """Write one set to `path` (.npz) atomically: a crash never leaves half a file."""
    params = {k: np.int64(cluster_set.params.get(k, -1)) for k in PARAMS}
    with atomic_path(path, ".tmp.npz") as tmp:
        np.savez(
            tmp,
            points=cluster_set.points,
            offsets=cluster_set.offsets,
            format_version=np.int64(FORMAT_VERSION),
            **params,
        )
    return path


def load_clusters(path, expect=None):
    """Read a set written by `save_clusters`.

    `expect`, a dict of generating parameters, guards against a file that is valid but
    not the one asked for. Every problem raises DatasetError naming the file.
    """
    path = os.fspath(path)
    contents = read_npz(path, ["points", "offsets", "format_version", *PARAMS], "dataset")
    if int(contents["format_version"]) != FORMAT_VERSION:
        raise DatasetError(
            f"{path}: dataset format {int(contents['format_version'])}, "
            f"this scipar reads format {FORMAT_VERSION}"
        )
    problem = _layout_problem(contents["points"], contents["offsets"])
    if problem:
        raise DatasetError(f"{path}: corrupted dataset: {problem}")
    params = {k: int(contents[k]) for k in PARAMS}
    if params["cluster_count"] != len(contents["offsets"]) - 1:
        raise DatasetError(
            f"{path}: holds {len(contents['offsets']) - 1} clusters "
            f"but says cluster_count={params['cluster_count']}"
        )
    for key, wanted in (expect or {}).items():
        if params.get(key) != wanted:
            raise DatasetError(f"{path}: {key}={params.get(key)} in the file, expected {wanted}")
    return ClusterSet(contents["points"], contents["offsets"], params)
