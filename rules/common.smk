import functools
import json
import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from scipar.problems import get_implementation, get_problem, problems
from scipar.problems.fingerprint import implementation_digest, problem_digest
from scipar.problems.registry import PLUGIN_PATH
from scipar.workflow import interpreters, plan
from scipar.workflow.config import check_config, check_workers
from scipar.report import workshop_figures
from scipar.measure.noise import usable_cpus
from scipar.report.compare import baseline_timings


def on_cluster():
    """Whether jobs run elsewhere (SLURM). Known only when rules are evaluated: Snakemake
    picks its executor after reading the Snakefile."""
    return workflow.non_local_exec or workflow.remote_exec


try:
    # The cores given here; inside a cluster job, the job's own, which say nothing
    # about the worker counts of other jobs. A dry run of a cluster profile (--jobs
    # and no --cores) is given --cores 1 by Snakemake, which describes nothing either.
    CORES = (
        None
        if workflow.remote_exec or (workflow.cores == 1 and workflow.nodes is not None)
        else workflow.cores
    )
except WorkflowError:  # no --cores: a cluster profile, or --report without --cores
    CORES = None

# A config's plug-ins are found in the folder the workflow runs in and beside the
# config file, without PYTHONPATH; every job inherits this (scipar.problems.registry).
os.environ[PLUGIN_PATH] = os.pathsep.join(
    dict.fromkeys(
        [os.getcwd()]
        + [os.path.dirname(os.path.abspath(f)) for f in workflow.configfiles]
        + [f for f in os.environ.get(PLUGIN_PATH, "").split(os.pathsep) if f]
    )
)

# Fail before any job runs, naming the key at fault.
check_config(
    config, os.path.join(workflow.current_basedir, "..", "config", "schema.yaml")
)
WORKER_LIMIT, notes = check_workers(config, CORES, usable_cpus())
for note in notes:
    logger.warning(f"scipar: {note}")

PLAN_NOTES = []
JOBS = plan.timing_jobs(config, WORKER_LIMIT, PLAN_NOTES)
PLANNED = {job.path for job in JOBS}
for note in PLAN_NOTES:
    logger.warning(f"scipar: {note}")
# Studies that need an interpreter the config does not name are not planned; the
# conclusion says how to get one.
UNPLANNED = interpreters.unplanned_studies(config)
for study, why in UNPLANNED.items():
    logger.warning(f"scipar: studies.{study}: {why}")
STUDIES = [study for study in config["studies"] if study not in UNPLANNED]
# The run to compare this one with (compare_with), found before any job runs.
BASELINE = baseline_timings(config.get("compare_with"), "results/tables/timings.csv")
# The workshop's figures this config's studies can redraw: {number: those studies}.
WORKSHOP_FIGURES = workshop_figures.studies(config["studies"])
for note in workshop_figures.skipped(config["studies"]):
    logger.warning(f"scipar: {note}")


wildcard_constraints:
    backend="serial|threads|processes|prange",
    workers=r"\d+",
    impl=r"[a-z][a-z0-9-]*",
    kind="|".join(problems()),


def timed_threads(wildcards):
    """Here, a timed job takes every core Snakemake has, so that no other job, timed or
    not, runs beside it; on a cluster it is a job of its own and asks for as many CPUs
    as the workers it measures. A scheduling matter: the CSV records it."""
    return CORES if CORES is not None and not on_cluster() else int(wildcards.workers)


def timed_slurm_extra(wildcards):
    """With `exclusive_nodes: true`, a timed SLURM job takes its whole node."""
    return "--exclusive" if config.get("exclusive_nodes", False) else ""


def wildcard_job(wildcards):
    """The timing job a timing rule's wildcards name."""
    return plan.Job(
        wildcards.study,
        wildcards.problem,
        wildcards.impl,
        wildcards.backend,
        int(wildcards.workers),
        wildcards.get("interpreter", interpreters.DEFAULT),
    )


@functools.cache
def _digest(kind, impl):
    return implementation_digest(get_implementation(impl, kind))


def implementation_code(wildcards):
    """A digest of the job's implementation's source (scipar.problems.fingerprint): a
    parameter of the timing rules, so that Snakemake reruns the jobs of an implementation
    whose code changed, and no other."""
    job = (
        plan.job_of(f"{wildcards.job}.csv")
        if "job" in wildcards.keys()
        else wildcard_job(wildcards)
    )
    if job is None or job.study not in STUDIES:
        return ""
    return _digest(config["studies"][job.study]["problem"], job.impl)


def reference_code(wildcards):
    """A digest of what an instance's reference depends on (the problem's code, or its
    data maker and reference): editing it reruns the reference, and so the timing jobs
    that read it."""
    return problem_digest(get_problem(wildcards.kind))


def timing_inputs(wildcards):
    return plan.job_inputs(config, wildcard_job(wildcards))


def reference_inputs(wildcards):
    return plan.instance_inputs(wildcards.kind, wildcards.problem)


def free_threaded_impls():
    return plan.free_threaded_impls(config, JOBS)


def timed_jobs(studies=None):
    """The jobs that run (of some studies): all planned, less those left out under
    another interpreter, known once its environment is built (a checkpoint); only
    jobs under another interpreter wait for it."""
    jobs = [job for job in JOBS if studies is None or job.study in studies]
    if all(job.interpreter == interpreters.DEFAULT for job in jobs):
        return jobs
    with open(
        checkpoints.free_threaded_environment.get().output.facts, encoding="utf-8"
    ) as f:
        return plan.without_left_out(config, jobs, json.load(f)["left_out"])


def study_timings(studies):
    """The timing CSVs of some studies: what their figures read, so that asking for a
    figure runs the jobs of its studies only."""
    return [job.path for job in timed_jobs(studies)]


def timing_spec(wildcards, input, output, threads):
    """What a round of a timing job needs, from either round rule (plan.timing_spec)."""
    inputs = {role: path for role, path in input.items() if role != "facts"}
    return plan.timing_spec(
        config,
        wildcard_job(wildcards),
        inputs,
        output[0],
        threads,
        int(wildcards.round),
    )


def job_rounds(wildcards):
    """The round CSVs that a timing job's CSV merges."""
    path = f"results/timings/{wildcards.job}.csv"
    try:
        job = plan.planned_job(path, PLANNED, STUDIES, WORKER_LIMIT)
    except plan.UnplannedError as error:
        raise WorkflowError(str(error)) from None
    return [plan.round_path(path, k) for k in range(plan.rounds(config, job.study))]


# Rounds run in order over the whole run: every job's first round before any job's
# second, so that a job's rounds meet different minutes of the machine (asv's rounds).
# Inputs (datasets, references, the free-threaded environment) come before any round.
FIRST = 100


def round_priority(wildcards):
    """Between 0 and FIRST: round 0 highest (a study may ask for up to 20 rounds)."""
    return FIRST // 2 - int(wildcards.round)


def figure_files(name):
    return [f"results/figures/{name}.{ext}" for ext in ("png", "svg")]


def pictures():
    """A picture of each instance timed, for problems that can draw one."""
    kinds = {study: config["studies"][study]["problem"] for study in STUDIES}
    instances = {(kinds[job.study], job.problem) for job in JOBS}
    return sorted(
        f"results/figures/problems/{kind}/{instance}.png"
        for kind, instance in instances
        if get_problem(kind).picture is not None
    )


def paraview_files():
    """A ParaView file of every Chamfer cluster set the timing jobs read."""
    sets = {
        path
        for job in JOBS
        if config["studies"][job.study]["problem"] == "chamfer"
        for role, path in plan.job_inputs(config, job).items()
        if role != "reference"
    }
    return sorted(path.removesuffix(".npz") + ".vtu" for path in sets)


def final_outputs():
    out = [
        "results/tables/timings.csv",
        "results/tables/summary.csv",
        "results/tables/conclusion.md",
        "results/tables/conclusion.csv",
    ]
    for study in STUDIES:
        out += figure_files(study)
    for number in WORKSHOP_FIGURES:
        out += figure_files(f"workshop/fig{number}")
    if BASELINE:
        out += COMPARISON
    return out + pictures() + paraview_files()
