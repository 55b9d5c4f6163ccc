"""The tiny config through profiles/slurm against a real SLURM on this machine.

.ci/start-slurm starts a single-node SLURM on loopback (CI runs it before the tests).
Without a running SLURM this test is skipped with the reason; with
SCIPAR_REQUIRE_SLURM=1 (set by .ci/run) it fails instead, so CI never passes it silently.
"""

import glob
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest

from scipar.workflow import plan
from helpers import SNAKEMAKE, copy_workflow, snakemake, tiny_config


def slurm_problem():
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "SLURM is not installed (sinfo/sbatch not found); run .ci/start-slurm as root"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed"
    out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    if out.returncode != 0 or not any(s in out.stdout for s in ("idle", "mix", "alloc")):
        return f"no SLURM node is up (sinfo: {out.stdout.strip() or out.stderr.strip()}); run .ci/start-slurm"
    return None


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    problem = slurm_problem()
    if problem:
        if os.environ.get("SCIPAR_REQUIRE_SLURM") == "1":
            pytest.fail(f"SCIPAR_REQUIRE_SLURM=1 but {problem}")
        pytest.skip(problem)
    workdir = copy_workflow(str(tmp_path_factory.mktemp("slurm")))
    snakemake(
        workdir, "--profile", "profiles/slurm", "--configfile", "config/tiny.yaml",
        # --cores says nothing about the nodes: workers `auto` goes up to max_workers.
        "--config", "max_workers=2",
        # The test cluster keeps no accounting, so job states come from squeue.
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "5", "--seconds-between-status-checks", "5",
    )
    return workdir


def test_every_round_of_every_timing_job_ran_as_its_own_slurm_job(slurm_run):
    jobs = plan.timing_jobs(tiny_config(), 2)
    ids = []
    for job in jobs:
        rows = pd.read_csv(os.path.join(slurm_run, job.path), dtype={"slurm_job_id": str})
        assert rows.slurm_job_id.notna().all() and rows.slurm_job_id.str.fullmatch(r"\d+").all(), job.path
        assert rows.host.notna().all()
        # On a cluster a timed job asks for as many CPUs as the workers it measures.
        assert (rows.snakemake_threads == job.workers).all(), job.path
        # One SLURM job per round.
        assert rows.groupby("process").slurm_job_id.nunique().eq(1).all() and rows.slurm_job_id.nunique() == rows.processes.iloc[0]
        ids += list(rows.slurm_job_id.unique())
    assert len(set(ids)) == len(ids)


def test_slurm_was_asked_for_as_many_cpus_as_workers(slurm_run):
    # What Snakemake submitted (its log: one block per round job; `threads`, printed when
    # not 1, after the round's priority, is --cpus-per-task).
    log = open(glob.glob(os.path.join(slurm_run, ".snakemake/log/*.snakemake.log"))[0]).read()
    blocks = re.findall(r"wildcards: .*?workers=(\d+), round=\d+\n(?:\s+priority: \d+\n)?(?:\s+threads: (\d+)\n)?", log)
    config = tiny_config()
    assert len(blocks) == sum(plan.rounds(config, job.study) for job in plan.timing_jobs(config, 2))
    assert all(workers == (threads or "1") for workers, threads in blocks), blocks


def test_tables_and_figures_are_made(slurm_run):
    timings = pd.read_csv(os.path.join(slurm_run, "results/tables/timings.csv"))
    assert timings.groupby(["study", "problem", "impl", "backend", "workers"]).size().min() >= 3
    assert timings.groupby(["study", "problem", "impl", "backend", "workers"]).ngroups == len(plan.timing_jobs(tiny_config(), 2))
    assert timings.verified.all()
    assert "Differences from the workshop" in open(os.path.join(slurm_run, "results/tables/conclusion.md")).read()
    for study in (name for name, spec in tiny_config()["studies"].items() if "interpreters" not in spec):
        assert os.path.getsize(os.path.join(slurm_run, f"results/figures/{study}.png")) > 10_000


def test_snakemake_is_importable_by_jobs():
    # The SLURM jobs run `python -m snakemake` with this interpreter.
    assert subprocess.run(SNAKEMAKE + ["--version"], capture_output=True).returncode == 0
