"""The workflow end to end on a tiny config, in a temporary copy of the repository."""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from helpers import REPO, copy_workflow, snakemake, tiny_config
from scipar.workflow import plan
from scipar.report.summary import overlapping_jobs


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = copy_workflow(str(tmp_path_factory.mktemp("workflow")))
    snakemake(workdir, "--cores", "2", "--configfile", "config/tiny.yaml")
    return workdir


def test_every_job_wrote_its_samples(tiny_run):
    jobs = plan.timing_jobs(tiny_config(), cores=2)
    timings = pd.read_csv(os.path.join(tiny_run, "results/tables/timings.csv"))
    assert len(timings) == sum(len(pd.read_csv(os.path.join(tiny_run, job.path))) for job in jobs)
    for job in jobs:
        rows = pd.read_csv(os.path.join(tiny_run, job.path))
        assert len(rows) >= 2 and list(rows.repeat) == list(range(len(rows))) and (rows.samples == len(rows)).all()
        # tiny.yaml's two rounds, each a process of its own, merged.
        assert sorted(rows.process.unique()) == [0, 1] and (rows.processes == 2).all()
        assert (rows.wall_s * rows.loops >= 0.01).all()  # tiny.yaml's min_sample_s
        assert (rows[["study", "problem", "impl", "backend"]].iloc[0].tolist()
                == [job.study, job.problem, job.impl, job.backend]) and (rows.workers == job.workers).all()
    assert timings.verified.eq(True).all()
    assert (timings.wall_s > 0).all() and (timings.cpu_s > 0).all()
    assert ((timings.utilisation - timings.cpu_s / timings.wall_s).abs() < 1e-9).all()
    assert (timings.compile_s > 0).all()
    for column in ("host", "cpu_model", "python", "numpy", "numba", "cython", "scipar_version"):
        assert timings[column].notna().all(), column
    assert (timings.snakemake_threads == 2).all()
    chamfer = timings[timings.problem_kind == "chamfer"]
    assert (timings.work > 0).all() and timings.work_unit.notna().all()
    assert (chamfer.pairs == chamfer.n_points_l * chamfer.n_points_r).all()
    weak = chamfer[chamfer.study == "weak"].groupby("workers").clusters_l.first()
    assert weak[2] == 2 * weak[1]


def test_timed_jobs_did_not_overlap(tiny_run):
    timings = pd.read_csv(os.path.join(tiny_run, "results/tables/timings.csv"))
    assert timings.groupby(["study", "problem", "impl", "backend", "workers"]).ngroups == len(plan.timing_jobs(tiny_config(), 2))
    assert overlapping_jobs(timings) == []


def test_summary_conclusion_and_figures(tiny_run):
    summary = pd.read_csv(os.path.join(tiny_run, "results/tables/summary.csv"))
    strong2 = summary[(summary.study == "strong") & (summary.workers == 2)]
    assert strong2.speedup.notna().all() and (strong2.speedup_ci_low <= strong2.speedup_ci_high).all()
    assert summary[summary.study == "weak"].weak_efficiency.notna().all()
    conclusion = open(os.path.join(tiny_run, "results/tables/conclusion.md")).read()
    assert "## Differences from the workshop" in conclusion
    assert sum(line.startswith(f"| {k}. ") for k in range(1, 11) for line in conclusion.splitlines()) == 10
    # The tiny instances are not the workshop's: its printed columns are left out, not shown empty.
    assert "workshop_sequential_s" not in conclusion and "## chamfer: implementations against python" in conclusion
    assert "## chamfer: strong (strong scaling), each cell at its own instance" in conclusion
    assert "Numba against Cython, one kernel, equal flags" in conclusion and "(T(numba)/T(cython))" in conclusion
    assert "fastmath=contract,ninf,nnan,nsz" in conclusion
    table = pd.read_csv(os.path.join(tiny_run, "results/tables/conclusion.csv"))
    chamfer = table[table.problem_kind == "chamfer"].set_index("impl")
    assert set(chamfer.index) == {"python", "numba", "cython"} and (chamfer.baseline == "python").all()
    assert chamfer.loc["python", "speedup_vs_baseline"] == 1.0
    assert set(table[table.problem_kind == "toy"].problem) == {"overwrite-n12", "accumulate-n12"}
    for study, spec in tiny_config()["studies"].items():
        for ext in ("png", "svg"):
            figure = os.path.join(tiny_run, f"results/figures/{study}.{ext}")
            if "interpreters" in spec:  # no free_threaded_python: not run, and said how to get one
                assert not os.path.exists(figure)
                assert f"- study {study}: not run: its interpreters" in conclusion
                assert "uv python install 3.14t" in conclusion and ".ci/build-free-threaded-python" in conclusion
            else:
                assert os.path.getsize(figure) > 10_000
        if "interpreters" not in spec:  # why each circled cell is circled, for a figure asked for alone
            log = open(os.path.join(tiny_run, f"logs/report/figure-{study}.log")).read()
            flagged = summary[(summary.study == study) & summary["flags"].notna()]
            assert log.count("flagged: ") == len(flagged)
    assert len(os.listdir(os.path.join(tiny_run, "results/figures/problems/chamfer"))) == 5
    for number in (1, 2, 3, 4):  # tiny.yaml has every study the workshop's figures need
        assert os.path.getsize(os.path.join(tiny_run, f"results/figures/workshop/fig{number}.png")) > 10_000


def test_memory_phases_and_paraview_files(tiny_run):
    timings = pd.read_csv(os.path.join(tiny_run, "results/tables/timings.csv"))
    assert (timings.rss_peak_mib > 10).all() and (timings.memory_method == "peak").all()
    processes = timings[(timings.backend == "processes") & (timings.workers == 2)]
    assert len(processes) and (processes.workers_rss_peak_mib > 10).all() and (processes.worker_processes >= 2).all()
    assert (timings[timings.backend.isin(["serial", "threads", "prange"])].workers_rss_peak_mib == 0).all()
    images = timings[timings.problem_kind == "images"]
    phases = images[["phase_read_s", "phase_rotate_s", "phase_write_s"]]
    # Each worker spends at most the call's wall time in its phases (CPU time would not
    # bound them: a phase waiting for a busy CPU counts its wall time).
    assert (phases > 0).all().all() and (phases.sum(axis=1) <= images.wall_s * images.workers * 1.05 + 0.01).all()
    assert timings[timings.problem_kind != "images"].phase_read_s.isna().all()
    summary = pd.read_csv(os.path.join(tiny_run, "results/tables/summary.csv"))
    assert (summary.memory_peak_mib == summary.rss_peak_mib + summary.workers_rss_peak_mib).all()
    vtu = sorted(f for f in os.listdir(os.path.join(tiny_run, "results/data/chamfer")) if f.endswith(".vtu"))
    npz = sorted(f for f in os.listdir(os.path.join(tiny_run, "results/data/chamfer")) if f.endswith(".npz"))
    assert vtu == [f.replace(".npz", ".vtu") for f in npz]


def test_headline_numbers_come_from_the_runs_samples(tiny_run):
    from scipar.report import workshop
    from scipar.report.cells import fmt

    summary, timings = (pd.read_csv(os.path.join(tiny_run, f"results/tables/{t}.csv"), keep_default_na=False,
                                    na_values=[""]) for t in ("summary", "timings"))
    rows, sentence = workshop.headline(summary, timings)
    by_name = {row[0]: row for row in rows}
    seq = timings[(timings.study == "chamfer")].groupby("impl").wall_s.median()
    best = max(("numba", "cython"), key=lambda impl: seq["python"] / seq[impl])
    assert by_name["sequential speedup"][1].startswith(f"x{fmt(seq['python'] / seq[best])} [")
    assert f"({best})" in by_name["sequential speedup"][3]
    strong = summary[(summary.study == "strong") & (summary.workers == 2)]
    top = strong.loc[strong.speedup.idxmax()]
    assert by_name["parallel efficiency per worker"][1].startswith(fmt(top.efficiency) + " [")
    assert "total speedup at 2 workers" in by_name and "images: threads speedup at 2" in by_name
    assert "images: memory of processes / threads at 2" in by_name and "What differs" in sentence
    conclusion = open(os.path.join(tiny_run, "results/tables/conclusion.md")).read()
    assert conclusion.index("## This run in the workshop's terms") < conclusion.index("## chamfer")
    front = open(os.path.join(tiny_run, "results/tables/front_page.rst")).read()
    assert "This run in the workshop's terms" in front and by_name["sequential speedup"][1] in front


def test_report_is_self_contained_html(tiny_run):
    snakemake(tiny_run, "--cores", "2", "--configfile", "config/tiny.yaml", "--report", "results/report.html")
    html = open(os.path.join(tiny_run, "results/report.html")).read()
    assert "strong.png" in html and "conclusion.md" in html and "fig3.png" in html
    assert "This run in the workshop" in html  # the first page


def test_compare_with_a_baseline_run(tiny_run, tmp_path):
    # The baseline: a copy of this run's tables, in a folder of its own.
    os.makedirs(tmp_path / "laptop/tables")
    shutil.copy(os.path.join(tiny_run, "results/tables/timings.csv"), tmp_path / "laptop/tables/timings.csv")
    config = ["--cores", "2", "--configfile", "config/tiny.yaml", "--config", f"compare_with={tmp_path / 'laptop'}"]
    out = snakemake(tiny_run, *config)
    assert "localrule compare" in out.stderr and "2 of 2 steps (100%) done" in out.stderr  # compare, all: no job reruns
    cells = pd.read_csv(os.path.join(tiny_run, "results/tables/compare.csv"))
    timed = cells[cells.quantity == "per-call time"]
    assert len(timed) == len(plan.timing_jobs(tiny_config(), 2)) and (timed.ratio == 1).all()
    assert set(cells.verdict) <= {"no change", "inconclusive"}  # the same samples: never faster or slower
    assert "Nothing recorded differs" in open(os.path.join(tiny_run, "results/tables/compare.md")).read()
    snakemake(tiny_run, *config, "--report", "results/report.html")
    assert "compare.png" in open(os.path.join(tiny_run, "results/report.html")).read()
    failed = snakemake(tiny_run, *config[:-1], "compare_with=results", "-n", check=False)
    assert failed.returncode != 0 and "compare_with: results is this run's own" in failed.stdout + failed.stderr


def test_rerun_one_configuration_then_reaggregate(tiny_run):
    target = plan.timing_jobs(tiny_config(), 2)[-1].path
    before = pd.read_csv(os.path.join(tiny_run, target)).started_at.iloc[0]
    out = snakemake(tiny_run, "--cores", "2", "--configfile", "config/tiny.yaml", "--force", target)
    steps = plan.rounds(tiny_config(), plan.job_of(target).study) + 1  # its rounds, then their merge
    assert f"{steps} of {steps} steps (100%) done" in out.stderr
    assert pd.read_csv(os.path.join(tiny_run, target)).started_at.iloc[0] != before
    plan_out = snakemake(tiny_run, "-n", "--cores", "2", "--configfile", "config/tiny.yaml")
    assert "tables" in plan_out.stdout and "\ntime " not in plan_out.stdout


def planned_counts(out):
    return {line.split()[0]: int(line.split()[1]) for line in out.stdout.splitlines() if line.startswith("time ")}


@pytest.mark.parametrize("config, cores", [("paper.yaml", 32), ("config.yaml", 8), ("config.yaml", 3)])
def test_dry_run_lists_one_job_per_configuration(tmp_path, config, cores):
    workdir = copy_workflow(str(tmp_path))
    out = snakemake(workdir, "-n", "--cores", str(cores), "--configfile", f"config/{config}")
    with open(os.path.join(REPO, "config", config)) as f:
        jobs = plan.timing_jobs(yaml.safe_load(f), cores)
    counts = planned_counts(out)
    assert counts["time"] == len(jobs)
    if config == "config.yaml":
        assert max(j.workers for j in jobs) == cores
        # 8 or 3 cores on this 2-CPU machine: said before any job, and the cells are marked.
        if cores > os.cpu_count():
            assert f"more than the {len(os.sched_getaffinity(0))} CPUs this machine" in out.stdout + out.stderr


def test_a_cluster_profiles_dry_run_plans_what_the_cluster_would_run(tmp_path):
    # Snakemake gives a dry run without --cores one core; under a cluster profile that
    # says nothing of the nodes, so the dry run must plan (or refuse) as the real run does.
    workdir = copy_workflow(str(tmp_path))
    refused = snakemake(workdir, "--profile", "profiles/slurm", "-n", check=False)
    assert refused.returncode != 0 and "on a cluster max_workers" in refused.stdout + refused.stderr
    out = snakemake(workdir, "--profile", "profiles/slurm", "-n", "--configfile", "config/paper.yaml",
                    "--config", "max_workers=32")
    with open(os.path.join(REPO, "config", "paper.yaml")) as f:
        jobs = plan.timing_jobs({**yaml.safe_load(f), "max_workers": 32}, None)
    assert planned_counts(out)["time"] == len(jobs) and max(j.workers for j in jobs) == 32


@pytest.mark.parametrize(
    "edit, message",
    [
        ("strong.impls", "studies.strong.impls[1]: unknown chamfer implementation 'fortran'"),
        ("strong.workers", "studies.strong.workers[1]: 0 is less than the minimum of 1"),
        ("chamfer.size", "studies.chamfer.instances[0].L[1]: -10 is less than the minimum of 2"),
        ("misspelt", "'repeat' was unexpected"),
        ("too many workers", "studies.strong.workers[1]: 4 workers, more than the 2 CPUs a job can use "
                             "(--cores 2)"),
        ("no job", "studies.strong: plans no job: no implementation of ['python'] can run with backends ['prange']"),
        ("no study", "studies: {} should be non-empty"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, edit, message):
    workdir = copy_workflow(str(tmp_path))
    config = tiny_config()
    if edit == "strong.impls":
        config["studies"]["strong"]["impls"].append("fortran")
    elif edit == "strong.workers":
        config["studies"]["strong"]["workers"] = [1, 0]
    elif edit == "too many workers":
        config["studies"]["strong"]["workers"] = [1, 4]
    elif edit == "chamfer.size":
        config["studies"]["chamfer"]["instances"][0]["L"] = [6, -10, 1]
    elif edit == "no job":
        config["studies"]["strong"].update(impls=["python"], backends=["prange"])
    elif edit == "no study":
        config["studies"] = {}
    else:
        config["repeat"] = 3
    with open(os.path.join(workdir, "config", "bad.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    out = snakemake(workdir, "--cores", "2", "--configfile", "config/bad.yaml", check=False)
    assert out.returncode != 0
    assert message in out.stdout + out.stderr
    assert not os.path.exists(os.path.join(workdir, "results"))


def test_the_paper_estimate_counts_matched_jobs_and_refuses_a_run_with_none(tiny_run, tmp_path):
    script = [sys.executable, os.path.join(REPO, "benchmarks", "paper_estimate.py")]
    timings = os.path.join(tiny_run, "results/tables/timings.csv")
    out = subprocess.run(script + [timings, "--cores", "32"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "estimated timing time:" in out.stdout
    images = pd.read_csv(timings)
    images[images.problem_kind == "images"].to_csv(tmp_path / "images.csv", index=False)  # no paper job of toy or chamfer
    only = subprocess.run(script + [str(tmp_path / "images.csv")], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert only.returncode == 0 and "without a measured match" in only.stdout
    pd.read_csv(timings).assign(impl="fortran").to_csv(tmp_path / "none.csv", index=False)
    none = subprocess.run(script + [str(tmp_path / "none.csv")], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert none.returncode != 0 and "no job of config/paper.yaml matches a one-worker cell" in none.stderr
    missing = subprocess.run(script + [str(tmp_path / "absent.csv")], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert missing.returncode != 0 and "does not exist (the main job" in missing.stderr and "Traceback" not in missing.stderr
