"""One timing job, called as the workflow's scripts call it."""

import subprocess
import sys
import time

import numpy as np
import pytest

import scipar
from scipar.problems.chamfer.solve import VerificationError
from scipar.problems.chamfer.datasets import DatasetError
from scipar.measure.sampling import COLUMNS, JobError, Sampling, calibrate, measure, time_chamfer_job, time_toy_job, write_reference
from scipar.workflow.plan import Job, dataset_path
from scipar.report.summary import summarise

QUICK = Sampling(repeats=3, min_sample_s=0.01, target_ci=0.5, max_job_s=5)


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
    table = time_chamfer_job(job("cython-pruned", "prange", 2), QUICK, problem["left"], problem["right"], problem["reference"], threads=2)
    assert list(table.columns) == [c for c in COLUMNS if c not in ("variant", "n", "calls", "iterations")]
    assert list(table.repeat) == list(range(len(table))) and len(table) >= 3 and table.verified.all()
    assert (table.samples == len(table)).all() and table.stop_reason.isin(["interval", "budget"]).all()
    assert (table.pairs == table.n_points_l * table.n_points_r).all() and (table.snakemake_threads == 2).all()
    assert (table.started_at < table.finished_at).all()
    # Calibrated: every sample of `loops` calls lasted at least min_sample_s.
    assert (table.wall_s * table.loops >= QUICK.min_sample_s).all() and (table.loops > 1).all()


def test_toy_job_rows():
    table = time_toy_job(Job("gil", "accumulate-n10", "numba-nogil", "processes", 2), QUICK, calls=3)
    assert len(table) >= 3 and table.verified.all()
    assert (table.iterations == 3 * 210).all() and (table.variant == "accumulate").all()
    assert (table.cpus_allowed >= 1).all() and table.load_before.notna().all()


def test_more_workers_than_cpus_are_marked():
    table = time_toy_job(Job("gil", "accumulate-n10", "numba-nogil", "threads", 3), QUICK, calls=3, threads=2)
    assert table.oversubscribed.all()
    table = time_toy_job(Job("gil", "accumulate-n10", "numba-nogil", "threads", 1), QUICK, calls=3, threads=2)
    assert not table.oversubscribed.any()


def test_calibration_reaches_the_minimum_sample_time():
    def run(timer):
        time.sleep(0.002)

    loops = calibrate(run, 0.05)
    assert 25 <= loops <= 40  # 0.05 s / 2 ms = 25; it aims 20 % above, sleep overshoots a little


def noisy_run(values):
    """A fake kernel whose call takes the next of `values` seconds (sleeping)."""
    it = iter(values)

    def run(timer):
        time.sleep(next(it))

    return run


def test_sampling_stops_when_the_interval_is_narrow():
    rows, facts = measure(noisy_run([0.01] * 100), lambda answer: None,
                          Sampling(repeats=4, min_sample_s=0.005, target_ci=0.2, max_job_s=30))
    assert facts["stop_reason"] == "interval" and facts["samples"] == len(rows) == 4
    assert facts["ci_half_width"] <= 0.2


def test_sampling_stops_on_the_budget_and_the_cell_stays_flagged():
    # Calls alternate between 5 ms and 20 ms: the median's interval never narrows to 1 %.
    rows, facts = measure(noisy_run([0.005, 0.02] * 1000), lambda answer: None,
                          Sampling(repeats=3, min_sample_s=0.001, target_ci=0.01, max_job_s=1.0))
    assert facts["stop_reason"] == "budget" and facts["samples"] == len(rows) > 3
    assert facts["ci_half_width"] > 0.01


def test_a_job_beside_a_cpu_hog_is_flagged_busy():
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        table = time_toy_job(Job("toy", "accumulate-n30", "python", "serial", 1),
                             Sampling(repeats=5, min_sample_s=0.1, target_ci=0.5, max_job_s=10), calls=1)
    finally:
        hog.kill()
        hog.wait()
    cell = summarise(table).iloc[0]
    assert cell.others_cores > 0.5 and cell.busy
    assert "busy machine: other programs used" in cell["flags"]


def test_corrupted_dataset_is_named(problem):
    data = open(problem["left"], "rb").read()
    open(problem["left"], "wb").write(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="c6_m12_s1.npz: truncated or corrupted"):
        time_chamfer_job(job(), QUICK, problem["left"], problem["right"], problem["reference"])


def test_dataset_of_another_problem_is_refused(problem):
    with pytest.raises(DatasetError, match="cluster_count=4 in the file, expected 6"):
        time_chamfer_job(job(), QUICK, problem["right"], problem["right"], problem["reference"])


def test_wrong_answer_fails_the_job(problem):
    with np.load(problem["reference"]) as data:
        matrix = data["matrix"].copy()
    matrix[0] = matrix[0, ::-1]  # a reference that disagrees with every implementation
    np.savez(problem["reference"], matrix=matrix)
    with pytest.raises(VerificationError):
        time_chamfer_job(job(), QUICK, problem["left"], problem["right"], problem["reference"])
    np.savez(problem["reference"], matrix=matrix[:2])
    with pytest.raises(JobError, match="does not fit 6 x 4"):
        time_chamfer_job(job(), QUICK, problem["left"], problem["right"], problem["reference"])
