import os

import numpy as np
import pytest

import scipar
from scipar.problems.chamfer.datasets import DatasetError


def points(cluster_count, max_size, seed):
    return scipar.gen_clusters(cluster_count, max_size, seed).n_points


# Every point count the workshop printed (FACTS.md, "Experiments and their parameters").
@pytest.mark.parametrize(
    "left, right, printed",
    [
        ((50, 35, 1), (30, 23, 2), 1090),
        ((400, 200, 1), (200, 450, 2), 83219),
        ((15, 80, 1), (5, 50, 2), 689),
        ((25, 80, 1), (15, 50, 2), 1219),
        ((45, 80, 1), (35, 50, 2), 2558),
        ((85, 80, 1), (75, 50, 2), 5107),
        ((165, 80, 1), (155, 50, 2), 10565),
        # The text's 3.1 parameter cell, which is not what the notebook ran.
        ((400, 200, 1), (200, 200, 1), 59618),
    ],
)
def test_workshop_point_counts(left, right, printed):
    assert points(*left) + points(*right) == printed


def test_generator_matches_the_legacy_global_stream():
    np.random.seed(7)
    sizes = np.random.randint(1, 20, 4)
    first_means = np.random.randint(1, 10, 3)
    clusters = scipar.gen_clusters(4, 20, 7)
    assert list(clusters.sizes) == list(sizes)
    # The first cluster's points scatter around its integer means.
    assert np.all(np.abs(clusters.clusters[0].mean(axis=0) - first_means) < 6)
    assert clusters.params == {"cluster_count": 4, "max_size": 20, "seed": 7}
    assert clusters.points.flags.c_contiguous and clusters.points.dtype == np.float64


@pytest.mark.parametrize("args", [(0, 10, 1), (5, 1, 1), (5, 10, -1), (2.5, 10, 1), (True, 10, 1)])
def test_generator_rejects_bad_parameters(args):
    with pytest.raises(ValueError, match="cluster_count|max_size|seed"):
        scipar.gen_clusters(*args)


def test_save_and_load_round_trip(tmp_path):
    original = scipar.gen_clusters(12, 9, 3)
    path = scipar.save_clusters(original, tmp_path / "sub" / "set.npz")
    loaded = scipar.load_clusters(path, expect={"cluster_count": 12, "max_size": 9, "seed": 3})
    assert np.array_equal(loaded.points, original.points)
    assert np.array_equal(loaded.offsets, original.offsets)
    assert loaded.params == original.params
    assert os.listdir(tmp_path / "sub") == ["set.npz"]  # no temporary file left behind


def test_load_reports_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="nothere.npz.*does not exist"):
        scipar.load_clusters(tmp_path / "nothere.npz")


def test_load_reports_truncated_file(tmp_path):
    path = scipar.save_clusters(scipar.gen_clusters(20, 30, 1), tmp_path / "set.npz")
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"set\.npz: truncated or corrupted"):
        scipar.load_clusters(path)


def test_load_reports_corrupted_bytes(tmp_path):
    path = scipar.save_clusters(scipar.gen_clusters(20, 30, 1), tmp_path / "set.npz")
    data = bytearray(open(path, "rb").read())
    middle = len(data) // 3
    data[middle : middle + 16] = bytes(16)
    open(path, "wb").write(bytes(data))
    with pytest.raises(DatasetError, match=r"set\.npz"):
        scipar.load_clusters(path)


def test_load_reports_inconsistent_contents(tmp_path):
    good = scipar.gen_clusters(5, 10, 1)
    path = tmp_path / "bad.npz"
    np.savez(path, points=good.points, offsets=good.offsets[::-1].copy(), format_version=1,
             cluster_count=5, max_size=10, seed=1)
    with pytest.raises(DatasetError, match="bad.npz: corrupted dataset: offsets"):
        scipar.load_clusters(path)
    np.savez(path, points=good.points, offsets=good.offsets, format_version=1,
             cluster_count=6, max_size=10, seed=1)
    with pytest.raises(DatasetError, match="holds 5 clusters but says cluster_count=6"):
        scipar.load_clusters(path)
    np.savez(path, points=good.points)
    with pytest.raises(DatasetError, match="not a scipar dataset"):
        scipar.load_clusters(path)


def test_load_reports_mismatched_parameters(tmp_path):
    path = scipar.save_clusters(scipar.gen_clusters(5, 10, 1), tmp_path / "set.npz")
    with pytest.raises(DatasetError, match="set.npz: seed=1 in the file, expected 2"):
        scipar.load_clusters(path, expect={"seed": 2})


@pytest.mark.parametrize(
    "clusters, error, message",
    [
        ([], ValueError, "empty cluster list"),
        ([np.zeros((3, 2))], ValueError, r"shape \(3, 2\)"),
        ([np.zeros(3)], ValueError, r"shape \(3,\)"),
        ([np.zeros((3, 3), dtype=np.int64)], TypeError, "dtype int64"),
        ([np.zeros((0, 3))], ValueError, "cluster 0 is empty"),
        ([np.zeros((2, 3)), np.array([[np.nan, 0, 0]])], ValueError, "cluster 1 holds NaN"),
    ],
)
def test_cluster_set_rejects_bad_clusters(clusters, error, message):
    with pytest.raises(error, match=message):
        scipar.ClusterSet.from_clusters(clusters)
