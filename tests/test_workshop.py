"""The workshop's own shapes on scipar's data: cluster sets as lists, the ParaView
export, the image-processing problem, memory of worker processes, the headline."""

import os

import numpy as np
import pytest

import scipar
from scipar.measure.memory import peak_memory
from scipar.measure.parallel import parallel_map
from scipar.problems import Implementation, VerificationError, get_implementation, get_problem
from scipar.problems.chamfer.datasets import ClusterSet, DatasetError
from scipar.problems.chamfer.paraview import load_vtu, save_vtu


def test_cluster_set_iterates_indexes_and_slices_like_the_workshops_list():
    L = scipar.gen_clusters(50, 35, 1)
    clusters = [L.points[a:b] for a, b in zip(L.offsets[:-1], L.offsets[1:])]
    assert len(L) == 50 and len(list(L)) == 50
    assert all(np.array_equal(c, d) for c, d in zip(L, clusters))
    assert np.array_equal(L[3], clusters[3]) and np.array_equal(L[-1], clusters[-1])
    head = L[:3]
    assert isinstance(head, ClusterSet) and len(head) == 3 and np.array_equal(head[2], clusters[2])
    assert [len(c) for c in L[::10]] == [len(c) for c in clusters[::10]]
    with pytest.raises(IndexError):
        L[50]
    with pytest.raises(IndexError, match="no cluster"):
        L[5:5]
    # The workshop's own loop, over scipar's data: the kernels still take the flat set.
    total = sum(len(c) for c in L)
    assert total == L.n_points


def test_vtu_round_trip_finds_every_point_with_its_cluster(tmp_path):
    L = scipar.gen_clusters(40, 30, 3)
    path = save_vtu(L, str(tmp_path / "c40_m30_s3.vtu"))
    back = load_vtu(path)
    assert np.array_equal(back.points, L.points) and np.array_equal(back.offsets, L.offsets)
    labels = np.repeat(np.arange(len(L)), L.sizes)
    for c in (0, 17, 39):  # every point of a cluster sits in that cluster's rows
        assert np.array_equal(back.points[labels == c], L[c])
    open(path, "w").write("<VTKFile>truncated")
    with pytest.raises(DatasetError, match="c40_m30_s3.vtu"):
        load_vtu(path)


def _allocate_in_worker(mib):
    block = np.ones(mib * 2**20 // 8)  # touched: resident, not just reserved
    return float(block.sum())


def test_worker_processes_memory_is_counted():
    before = peak_memory()
    parallel_map(_allocate_in_worker, [(300,)] * 2, "processes", 2)
    after = peak_memory()
    assert after["worker_processes"] >= 2 and after["memory_method"] == "peak"
    # Each of the two workers held 300 MiB at its peak; this process did not.
    assert after["workers_rss_peak_mib"] >= 2 * 300
    assert after["rss_peak_mib"] < before["rss_peak_mib"] + 100


@pytest.fixture(scope="module")
def image_set(tmp_path_factory):
    images = get_problem("images")
    params = dict(images=4, size=48, seed=42)
    folder = tmp_path_factory.mktemp("images")
    paths = {}
    for role, name in images.datasets(params).items():
        paths[role] = str(folder / name)
        images.make_dataset(name, paths[role])
    data = images.load(params, paths)
    return images, data, images.reference(data)


@pytest.mark.parametrize("backend, workers", [("serial", 1), ("threads", 2), ("processes", 2)])
def test_images_solve_is_verified(image_set, backend, workers):
    images, data, reference = image_set
    answer = images.solve(data, get_implementation("ndimage", "images"), backend, workers)
    images.check(answer, reference, data)
    assert set(answer) == {"read", "rotate", "write"} and all(s > 0 for s in answer.values())


def _one_pixel_off(source, target):
    import imageio.v3 as iio
    from scipy import ndimage

    rotated = ndimage.rotate(iio.imread(source), 45)
    rotated[5, 5, 0] ^= 1
    iio.imwrite(target, rotated, extension=".png")
    return 0.0, 0.0, 0.0


def _unrotated(source, target):
    import imageio.v3 as iio

    iio.imwrite(target, iio.imread(source), extension=".png")
    return 0.0, 0.0, 0.0


def _writes_nothing(source, target):
    return 0.0, 0.0, 0.0


@pytest.mark.parametrize("kernel, message", [(_one_pixel_off, "image 0: .* differs from scipy's rotation"),
                                             (_unrotated, r"image 0: .* has shape \(48, 48, 3\), expected \(68, 68, 3\)"),
                                             (_writes_nothing, "no output file")])
def test_images_wrong_or_missing_output_fails(image_set, kernel, message):
    images, data, reference = image_set
    wrong = Implementation("wrong", "images", True, True, False, "a broken kernel", kernel)
    images.solve(data, get_implementation("ndimage", "images"), "threads", 2)  # right outputs first
    with pytest.raises(VerificationError, match=message):
        images.check(images.solve(data, wrong, "threads", 2), reference, data)


def test_image_datasets_are_the_workshops_stream(tmp_path):
    import imageio.v3 as iio

    images = get_problem("images")
    name = images.datasets(dict(images=3, size=16, seed=42))["image2"]
    images.make_dataset(name, str(tmp_path / name))
    rng = np.random.RandomState(42)
    expected = [rng.randint(0, 255, (16, 16, 3)) for _ in range(3)][2]
    assert np.array_equal(iio.imread(str(tmp_path / name)), expected.astype(np.uint8))
    assert os.listdir(tmp_path) == [name]


def test_a_jobs_peak_memory_is_its_own_not_its_parents():
    """Snakemake starts each job by fork and exec: Linux carries ru_maxrss over the exec,
    so the parent's peak must not show up as the job's."""
    import subprocess
    import sys

    ballast = np.ones(500 * 2**20 // 8)  # this process: at least 500 MiB resident
    out = subprocess.run([sys.executable, "-c", "from scipar.measure.memory import peak_memory; "
                          "print(peak_memory()['rss_peak_mib'])"], capture_output=True, text=True, check=True)
    assert ballast.sum() > 0 and float(out.stdout) < 300
