import os

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from scipar import plan
from scipar.config import check_config, check_workers
from scipar.noise import usable_cpus


def on_cluster():
    """Whether jobs run elsewhere (SLURM). Known only when rules are evaluated: Snakemake
    picks its executor after reading the Snakefile."""
    return workflow.non_local_exec or workflow.remote_exec


try:
    # The cores given here; inside a cluster job, the job's own, which say nothing
    # about the worker counts of other jobs.
    CORES = None if workflow.remote_exec else workflow.cores
except WorkflowError:  # no --cores: a cluster profile, or --report without --cores
    CORES = None

# Fail before any job runs, naming the key at fault.
check_config(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
WORKER_LIMIT, notes = check_workers(config, CORES, usable_cpus())
for note in notes:
    logger.warning(f"scipar: {note}")

JOBS = plan.timing_jobs(config, WORKER_LIMIT)
CHAMFER_PROBLEMS = sorted({j.problem for j in JOBS if j.study in plan.CHAMFER_STUDIES})
STUDIES = sorted({j.study for j in JOBS})


wildcard_constraints:
    backend="serial|threads|processes|prange",
    workers=r"\d+",
    impl=r"[a-z][a-z0-9-]*",
    clusters=r"\d+",
    max_size=r"\d+",
    seed=r"\d+",


def timed_threads(wildcards):
    """Here, a timed job takes every core Snakemake has, so that no other job, timed or
    not, runs beside it; on a cluster it is a job of its own and asks for as many CPUs
    as the workers it measures. A scheduling matter: the CSV records it."""
    return CORES if CORES is not None and not on_cluster() else int(wildcards.workers)


def timed_slurm_extra(wildcards):
    """With `exclusive_nodes: true`, a timed SLURM job takes its whole node."""
    return "--exclusive" if config.get("exclusive_nodes", False) else ""


def job_of(wildcards):
    return plan.Job(
        wildcards.study,
        wildcards.problem,
        wildcards.impl,
        wildcards.backend,
        int(wildcards.workers),
    )


def chamfer_inputs(wildcards):
    left, right = plan.cluster_sets(
        wildcards.study, wildcards.problem, int(wildcards.workers)
    )
    return {
        "left": plan.dataset_path(*left),
        "right": plan.dataset_path(*right),
        "reference": f"results/reference/{plan.chamfer_problem_name(left, right)}.npz",
    }


def reference_inputs(wildcards):
    left, right = plan.parse_chamfer_problem(wildcards.problem)
    return {"left": plan.dataset_path(*left), "right": plan.dataset_path(*right)}


def figure_files(name):
    return [f"results/figures/{name}.{ext}" for ext in ("png", "svg")]


def final_outputs():
    out = [
        "results/tables/timings.csv",
        "results/tables/summary.csv",
        "results/tables/conclusion.md",
        "results/tables/conclusion.csv",
    ]
    for study in STUDIES:
        out += figure_files(study)
    out += [f"results/figures/problems/{p}.png" for p in CHAMFER_PROBLEMS]
    return out
