"""One timing job of any problem: load its instance, time it, check every answer.

A job is (study, problem instance, implementation, backend, workers). Studies of type
gil spread `calls` whole solves over the workers (the workshop's GIL demonstration);
every other type times one solve, spread over the workers as the backend says. The
result is a tidy table, one row per timed sample, times per call of the job (README,
"CSV columns").
"""

import numpy as np
import pandas as pd

from scipar.atomic import atomic_path
from scipar.measure.journal import registered
from scipar.measure.memory import peak_memory
from scipar.npz import read_npz
from scipar.measure.parallel import parallel_map, warm_processes
from scipar.measure.provenance import provenance
from scipar.measure.sampling import measure
from scipar.workflow.interpreters import gil_state
from scipar.problems import VerificationError, get_implementation, get_problem
from scipar.problems.interface import TASKS_PER_WORKER


def time_job(job, study_type, problem_name, calls, sampling, inputs, threads=0):
    """Time `job` (a scipar.workflow.plan.Job); `inputs` maps "reference" and the
    problem's dataset roles to files. Raises VerificationError, naming the
    implementation, if any answer is wrong."""
    with registered(job.path) as overlaps:
        table = _time_job(job, study_type, problem_name, calls, sampling, inputs, threads)
    # Known once the job ends: the timing jobs on this machine that ran while it did.
    table.insert(table.columns.get_loc("host"), "overlapped_with", str(overlaps))  # where MEASURED puts it
    return table


def _time_job(job, study_type, problem_name, calls, sampling, inputs, threads):
    problem = get_problem(problem_name)
    impl = get_implementation(job.impl, problem_name)
    data = problem.load(problem.job_params(job.problem, study_type, job.workers), inputs)
    reference = load_reference(inputs["reference"])
    spread_calls = study_type == "gil"

    def run(timer):
        if spread_calls:
            answers = parallel_map(problem.solve, [(data, impl)] * calls, job.backend, job.workers, timer)
        else:
            answers = [problem.solve(data, impl, job.backend, job.workers, timer)]
        if problem.phase_times is not None:
            for answer in answers:
                timer.add_phases(problem.phase_times(answer))
        return answers

    def verify(answers):
        for answer in answers:
            try:
                problem.check(answer, reference, data)
            except VerificationError as err:
                raise VerificationError(
                    f"{job.path}: implementation {impl.name!r} of problem {problem.name!r} gave a wrong answer: {err}"
                ) from None

    if job.backend == "processes":
        # Start the pool and compile in every worker process before timing.
        task = problem.tasks(data, 1 if spread_calls else TASKS_PER_WORKER * job.workers)[0]
        warm_processes(job.workers, problem.compute, (impl, data, task))
    rows, facts = measure(run, verify, sampling)
    facts |= peak_memory()  # while the worker processes still live
    calls = calls if spread_calls else 1
    sizes = problem.describe(data) | dict(calls=calls, work=calls * problem.work(data), work_unit=problem.work_unit)
    facts |= dict(build_flags=impl.build_flags) | gil_state()  # after every import
    return _table(job, dict(study_type=study_type, problem_kind=problem.name), threads, rows, facts, sizes)


def write_reference(problem_name, instance, inputs, path):
    """Save the reference of an instance (what check() needs), atomically."""
    problem = get_problem(problem_name)
    data = problem.load(problem.instance_params(instance), inputs)
    with atomic_path(path, ".tmp.npz") as tmp:
        np.savez(tmp, **problem.reference(data))


def load_reference(path):
    return read_npz(path, what="reference")


def _table(job, kind, threads, rows, facts, sizes):
    config = dict(study=job.study, **kind, problem=job.problem, impl=job.impl, interpreter=job.interpreter,
                  backend=job.backend, workers=job.workers, snakemake_threads=threads)
    # More workers than CPUs: those this process may run on, and here, under
    # Snakemake, also the cores it was given (threads; 0 outside Snakemake).
    usable = min(threads, facts["cpus_allowed"]) if threads else facts["cpus_allowed"]
    facts = facts | dict(oversubscribed=job.workers > usable)
    table = pd.DataFrame([config | sizes | row | facts | provenance() for row in rows])
    # The configuration, then the problem's own size columns, then the measurement.
    phases = [c for c in table.columns if c.startswith("phase_")]
    own = [c for c in table.columns if c not in config and c not in MEASURED and c not in phases]
    measured = [c for c in MEASURED if c in table.columns]
    at = measured.index("utilisation") + 1  # the phases' seconds beside the times they split
    return table[list(config) + own + measured[:at] + phases + measured[at:]]


MEASURED = [
    "repeat", "loops", "wall_s", "cpu_s", "utilisation", "compile_s", "verified",
    "samples", "stop_reason", "ci_half_width", "target_ci", "min_sample_s",
    "rss_peak_mib", "workers_rss_peak_mib", "worker_processes", "memory_method",
    "load_before", "others_cores", "steal_fraction", "cpus_allowed", "oversubscribed", "governor", "overlapped_with",
    "host", "cpu_model", "logical_cpus", "python", "python_build", "gil_enabled", "numpy", "numba", "cython", "build_flags",
    "scipar_version", "git_commit", "started_at", "finished_at", "slurm_job_id",
]


def write_csv_atomically(table, path):
    """Write the table so that a crash never leaves a half-written CSV at `path`."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
