"""One timing job, called as the workflow's scripts call it."""

import numpy as np
import pytest

import scipar
from scipar.chamfer import VerificationError
from scipar.datasets import DatasetError
from scipar.measure import COLUMNS, JobError, time_chamfer_job, time_toy_job, write_reference
from scipar.plan import Job, dataset_path


@pytest.fixture
def problem(tmp_path):
    paths = {}
    for side, params in (("left", (6, 12, 1)), ("right", (4, 12, 2))):
        paths[side] = str(tmp_path / dataset_path(*params))
        scipar.save_clusters(scipar.gen_clusters(*params), paths[side])
    paths["reference"] = str(tmp_path / "reference.npz")
    write_reference(paths["left"], paths["right"], paths["reference"])
    return paths


def job(impl="numba", backend="serial", workers=1):
    return Job("strong", "L6-12-1_R4-12-2", impl, backend, workers)


def test_chamfer_job_rows(problem):
    table = time_chamfer_job(job("cython-pruned", "prange", 2), 3, problem["left"], problem["right"], problem["reference"], threads=2)
    assert list(table.columns) == [c for c in COLUMNS if c not in ("variant", "n", "calls", "iterations")]
    assert list(table.repeat) == [0, 1, 2] and table.verified.all()
    assert (table.pairs == table.n_points_l * table.n_points_r).all() and (table.snakemake_threads == 2).all()
    assert (table.started_at < table.finished_at).all()


def test_toy_job_rows():
    table = time_toy_job(Job("gil", "accumulate-n10", "numba-nogil", "processes", 2), 2, calls=3)
    assert list(table.repeat) == [0, 1] and table.verified.all()
    assert (table.iterations == 3 * 210).all() and (table.variant == "accumulate").all()


def test_corrupted_dataset_is_named(problem):
    data = open(problem["left"], "rb").read()
    open(problem["left"], "wb").write(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="c6_m12_s1.npz: truncated or corrupted"):
        time_chamfer_job(job(), 2, problem["left"], problem["right"], problem["reference"])


def test_dataset_of_another_problem_is_refused(problem):
    with pytest.raises(DatasetError, match="cluster_count=4 in the file, expected 6"):
        time_chamfer_job(job(), 2, problem["right"], problem["right"], problem["reference"])


def test_wrong_answer_fails_the_job(problem):
    with np.load(problem["reference"]) as data:
        matrix = data["matrix"].copy()
    matrix[0] = matrix[0, ::-1]  # a reference that disagrees with every implementation
    np.savez(problem["reference"], matrix=matrix)
    with pytest.raises(VerificationError):
        time_chamfer_job(job(), 2, problem["left"], problem["right"], problem["reference"])
    np.savez(problem["reference"], matrix=matrix[:2])
    with pytest.raises(JobError, match="does not fit 6 x 4"):
        time_chamfer_job(job(), 2, problem["left"], problem["right"], problem["reference"])
