"""One timing job, called as the workflow's scripts call it."""

import subprocess
import sys
import time

import numpy as np
import pytest

from scipar.workflow.job import MEASURED, time_job, write_reference
from scipar.measure.sampling import Sampling, calibrate, measure
from scipar.problems import VerificationError, get_problem
from scipar.problems.chamfer.datasets import DatasetError
from scipar.report.summary import summarise
from scipar.workflow.plan import Job

QUICK = Sampling(repeats=2, processes=2, min_sample_s=0.01, target_ci=0.5, max_job_s=5)
INSTANCE = "L6-12-1_R4-12-2"


def make_inputs(folder, kind, instance):
    """The dataset files and the reference of an instance, made as the workflow makes them."""
    problem = get_problem(kind)
    inputs = {}
    for role, name in problem.datasets(problem.instance_params(instance)).items():
        inputs[role] = str(folder / name)
        problem.make_dataset(name, inputs[role])
    inputs["reference"] = str(folder / f"{instance}.npz")
    write_reference(kind, instance, inputs, inputs["reference"])
    return inputs


@pytest.fixture
def problem(tmp_path):
    return make_inputs(tmp_path, "chamfer", INSTANCE)


def job(impl="numba", backend="serial", workers=1):
    return Job("strong", INSTANCE, impl, backend, workers)


def time_chamfer(inputs, job=job(), threads=0):
    return time_job(job, "strong", "chamfer", 1, QUICK, inputs, threads)


@pytest.fixture
def time_toy(tmp_path):
    """time_toy(job, calls, ...): a toy job, its reference made in tmp_path."""

    def run(job, calls, sampling=QUICK, threads=0):
        study_type = "gil" if job.study == "gil" else "sequential"
        inputs = make_inputs(tmp_path, "toy", job.problem)
        return time_job(job, study_type, "toy", calls, sampling, inputs, threads)

    return run


def test_chamfer_job_rows(problem):
    table = time_chamfer(problem, job("cython-pruned", "prange", 2), threads=2)
    configuration = ["study", "study_type", "problem_kind", "problem", "impl", "interpreter", "backend", "workers", "snakemake_threads"]
    sizes = ["clusters_l", "clusters_r", "n_points_l", "n_points_r", "pairs", "calls", "work", "work_unit"]
    assert list(table.columns) == configuration + sizes + MEASURED
    assert list(table.repeat) == list(range(len(table))) and len(table) >= 4 and table.verified.all()
    assert (table.samples == len(table)).all() and table.stop_reason.isin(["repeats", "budget"]).all()
    # Two rounds (here both in this process), two samples each, numbered over the job.
    assert table.process.nunique() == table.processes.iloc[0] == 2 and (table.groupby("process").size() == 2).all()
    assert table.ci_half_width.nunique() == 1 and table.ci_half_width.iloc[0] > 0
    assert (table.pairs == table.n_points_l * table.n_points_r).all() and (table.snakemake_threads == 2).all()
    assert (table.work == table.pairs).all() and (table.work_unit == "point pairs").all()
    assert (table.started_at < table.finished_at).all()
    # Calibrated: every sample of `loops` calls lasted at least min_sample_s.
    assert (table.wall_s * table.loops >= QUICK.min_sample_s).all() and (table.loops > 1).all()


def test_toy_job_rows(time_toy):
    table = time_toy(Job("gil", "accumulate-n10", "numba-nogil", "processes", 2), calls=3)
    assert len(table) >= 3 and table.verified.all()
    assert (table.iterations == 210).all() and (table.work == 3 * 210).all() and (table.variant == "accumulate").all()
    assert (table.cpus_allowed >= 1).all() and table.load_before.notna().all()


def test_more_workers_than_cpus_are_marked(time_toy):
    table = time_toy(Job("gil", "accumulate-n10", "numba-nogil", "threads", 3), calls=3, threads=2)
    assert table.oversubscribed.all()
    table = time_toy(Job("gil", "accumulate-n10", "numba-nogil", "threads", 1), calls=3, threads=2)
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


def test_a_round_takes_its_repeats():
    rows, facts = measure(noisy_run([0.01] * 1000), lambda answer: None,
                          Sampling(repeats=4, processes=3, min_sample_s=0.005, max_job_s=30))
    assert facts["round_stop"] == "repeats" and len(rows) == 4
    assert all(row["wall_s"] * row["loops"] >= 0.005 for row in rows)


def test_a_round_stops_early_on_its_share_of_the_budget():
    # 20 ms calls, 10 repeats, but a round's share of the budget is 0.3 s / 3 = 0.1 s.
    rows, facts = measure(noisy_run([0.02] * 1000), lambda answer: None,
                          Sampling(repeats=10, processes=3, min_sample_s=0.02, max_job_s=0.3))
    assert facts["round_stop"] == "budget" and 1 <= len(rows) < 10


def test_a_job_beside_a_cpu_hog_is_flagged_busy(time_toy):
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        table = time_toy(Job("toy", "accumulate-n30", "python", "serial", 1), calls=1,
                         sampling=Sampling(repeats=3, processes=2, min_sample_s=0.1, target_ci=0.5, max_job_s=10))
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
        time_chamfer(problem)


def test_dataset_of_another_instance_is_refused(problem):
    with pytest.raises(DatasetError, match="cluster_count=4 in the file, expected 6"):
        time_chamfer(problem | {"left": problem["right"]})


def test_wrong_answer_fails_the_job_naming_the_implementation(problem):
    with np.load(problem["reference"]) as data:
        matrix = data["matrix"].copy()
    matrix[0] = matrix[0, ::-1]  # a reference that disagrees with every implementation
    np.savez(problem["reference"], matrix=matrix)
    with pytest.raises(VerificationError, match="implementation 'numba' of problem 'chamfer' gave a wrong answer"):
        time_chamfer(problem)
    np.savez(problem["reference"], matrix=matrix[:2])
    with pytest.raises(VerificationError, match="does not fit 6 x 4"):
        time_chamfer(problem)
