"""One timing job of any problem: load its instance, time it, check every answer.

A job is (study, problem instance, implementation, backend, workers). Studies of type
gil spread `calls` whole solves over the workers (the workshop's GIL demonstration);
every other type times one solve, spread over the workers as the backend says. A job
samples in rounds, each a fresh process (scipar.measure.sampling): `time_round` is
one, `merge_rounds` makes the job's table of them, and `time_job` does both in this
process. The result is a tidy table, one row per timed sample, times per call of the
job (docs/workflow.md, "CSV columns").
"""

import sys

import numpy as np

from scipar.atomic import atomic_path
from scipar.measure.journal import UNCHECKED, registered
from scipar.measure.memory import peak_memory
from scipar.npz import read_npz
from scipar.measure.parallel import parallel_map, warm_processes
from scipar.measure.provenance import provenance
from scipar.measure.sampling import measure
from scipar.measure.stats import relative_half_width
from scipar.workflow.floor import MAX_CALL_S, harness_floor
from scipar.workflow.interpreters import gil_state
from scipar.problems import VerificationError, get_implementation, get_problem
from scipar.problems.interface import pieces


def time_job(job, study_type, problem_name, calls, sampling, inputs, threads=0):
    """Time `job` (a scipar.workflow.plan.Job), every round in this process (the
    workflow runs each in a fresh one); `inputs` maps "reference" and the problem's
    dataset roles to files. Raises VerificationError, naming the implementation, if
    any answer is wrong."""
    return merge_rounds([time_round(job, study_type, problem_name, calls, sampling, inputs, threads, index)
                         for index in range(sampling.processes)])


def time_round(job, study_type, problem_name, calls, sampling, inputs, threads=0, index=0, environment=""):
    """One round of `job`: its samples in this process, as a table whose `process`
    column is `index`. `environment`: what the user's environment set that changes
    what runs (scipar.measure.layers.user_environment)."""
    with registered(job.path) as overlaps:
        rows, facts = _sample(job, study_type, problem_name, calls, sampling, inputs)
    # Known once the round ends: the timing jobs on this machine that ran while it did.
    facts |= dict(process=index, environment=environment, overlapped_with=str(overlaps))
    return _table(job, dict(study_type=study_type, problem_kind=get_problem(problem_name).name), threads, rows, facts)


def _sample(job, study_type, problem_name, calls, sampling, inputs):
    problem = get_problem(problem_name)
    impl = get_implementation(job.impl, problem_name)
    impl.kernel, impl.solver  # imported before the warm-up, which then times the first call only
    params = problem.job_params(job.problem, study_type, job.workers)
    data = problem.load(params, inputs)
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
        task = problem.tasks(data, 1 if spread_calls else pieces(job.backend, job.workers))[0]
        warm_processes(job.workers, problem.compute, (impl, data, task))
    rows, facts = measure(run, verify, sampling)
    # What scipar's own path costs per call (scipar.workflow.floor), and how many tasks
    # the solve was cut into for the workers (fewer than workers leaves some idle).
    median_s = float(np.median([row["wall_s"] for row in rows]))
    floor_s = harness_floor(problem, data, impl, calls if spread_calls else 1) if median_s <= MAX_CALL_S else np.nan
    facts |= dict(floor_s=floor_s, tasks=calls if spread_calls else len(problem.tasks(data, pieces(job.backend, job.workers))))
    # A JIT compiler loaded explains a slow first call (compile_s); without one, a first
    # call far slower than the rest is suspect (scipar.report.plausible).
    facts |= peak_memory() | dict(jit_loaded="numba" in sys.modules)  # while the worker processes still live
    calls = calls if spread_calls else 1
    # The columns of the size of the work: the problem's own, else its integer parameters.
    size = problem.describe(data) or {k: v for k, v in params.items() if isinstance(v, int) and not isinstance(v, bool)}
    facts |= size | dict(calls=calls, work=calls * problem.work(data), work_unit=problem.work_unit,
                                           max_rate=problem.max_rate or np.nan)
    return rows, facts | dict(build_flags=impl.build_flags) | gil_state()  # after every import


def merge_rounds(tables):
    """The job's table from its rounds' tables: samples numbered over the job, and per
    job how many samples and processes it took, why its rounds stopped, the rerun
    interval it reached, and every overlap any round saw."""
    import pandas as pd  # here, not at the top: a round's process does not need it

    table = pd.concat(tables, ignore_index=True)
    table["repeat"] = range(len(table))
    walls = [group.wall_s.to_numpy() for _, group in table.groupby("process")]
    overlaps = [o for o in dict.fromkeys(table.overlapped_with) if isinstance(o, str) and o]
    unchecked = [o for o in overlaps if o.startswith(UNCHECKED)]
    table["samples"], table["processes"] = len(table), len(walls)
    table["stop_reason"] = "budget" if (table.round_stop == "budget").any() else "repeats"
    table["ci_half_width"] = relative_half_width(walls)
    table["overlapped_with"] = unchecked[0] if unchecked else "; ".join(overlaps)
    return table[[c for c in table.columns if c != "round_stop"]]


def write_reference(problem_name, instance, inputs, path):
    """Save the reference of an instance (what check() needs), atomically."""
    problem = get_problem(problem_name)
    data = problem.load(problem.instance_params(instance), inputs)
    with atomic_path(path, ".tmp.npz") as tmp:
        np.savez(tmp, **problem.reference(data))


def load_reference(path):
    return read_npz(path, what="reference")


# The version of the timing CSV's columns and their meaning: 2 since a job's samples
# come from several processes (the process column). `scipar compare` refuses to compare
# runs of different versions.
CSV_VERSION = 2


def _table(job, kind, threads, rows, facts):
    import pandas as pd

    config = dict(study=job.study, **kind, problem=job.problem, impl=job.impl, interpreter=job.interpreter,
                  backend=job.backend, workers=job.workers, snakemake_threads=threads)
    # More workers than CPUs: those this process may run on, and here, under
    # Snakemake, also the cores it was given (threads; 0 outside Snakemake).
    usable = min(threads, facts["cpus_allowed"]) if threads else facts["cpus_allowed"]
    facts = facts | dict(oversubscribed=job.workers > usable, samples=len(rows), processes=1, stop_reason=facts["round_stop"],
                         ci_half_width=np.nan, csv_version=CSV_VERSION)
    table = pd.DataFrame([config | row | facts | provenance() for row in rows])
    table.insert(table.columns.get_loc("loops"), "repeat", range(len(table)))
    # The configuration, then the problem's own size columns, then the measurement.
    phases = [c for c in table.columns if c.startswith("phase_")]
    own = [c for c in table.columns if c not in config and c not in MEASURED and c not in phases and c != "round_stop"]
    measured = [c for c in MEASURED if c in table.columns]
    at = measured.index("utilisation") + 1  # the phases' seconds beside the times they split
    return table[list(config) + own + measured[:at] + phases + measured[at:] + ["round_stop"]]


MEASURED = [
    "process", "repeat", "loops", "wall_s", "cpu_s", "utilisation", "compile_s", "jit_loaded", "floor_s", "tasks",
    "verified", "samples", "processes", "stop_reason", "ci_half_width", "target_ci", "min_sample_s",
    "repeats_per_process", "processes_planned", "max_job_s", "max_rate", "environment",
    "rss_peak_mib", "workers_rss_peak_mib", "worker_processes", "memory_method",
    "load_before", "others_cores", "steal_fraction", "cpus_allowed", "oversubscribed", "governor", "overlapped_with",
    "host", "cpu_model", "logical_cpus", "python", "python_build", "gil_enabled", "numpy", "numba", "cython", "build_flags",
    "scipar_version", "git_commit", "csv_version", "started_at", "finished_at", "slurm_job_id",
]


def write_csv_atomically(table, path):
    """Write the table so that a crash never leaves a half-written CSV at `path`."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
