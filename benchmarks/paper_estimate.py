"""Estimate how long config/paper.yaml takes on a machine of CORES cores, from the
per-call times a run measured here (its timings.csv), scaled by each job's work.

    .venv/bin/python benchmarks/paper_estimate.py results/tables/timings.csv [more.csv ...] --cores 32

Each paper job is matched with measured one-worker cells of the same problem kind,
implementation and backend (serial for one worker), preferring the same instance; its
time per call at p workers lies between T(1) * W / (p W_measured) (linear speedup) and
T(1) * W / W_measured (none), where W is the work of one call (gil: all its calls). A
job lasts its warm-up, its calibration and its samples, each sample at least
min_sample_s long, at most max_job_s; timed jobs run one at a time, so the run's time
is their sum. Prints the range, and the jobs that had no match (not counted).
"""

import argparse

import pandas as pd
import yaml

from scipar.problems import get_problem, load_plugins
from scipar.report.summary import TimingFileError, read_table
from scipar.workflow import plan

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("timings", nargs="+", help="timings.csv of runs measured on this machine")
parser.add_argument("--config", default="config/paper.yaml")
parser.add_argument("--cores", type=int, default=32)
args = parser.parse_args()

load_plugins()
config = yaml.safe_load(open(args.config))
try:
    measured = pd.concat([read_table(p) for p in args.timings], ignore_index=True)
except TimingFileError as error:
    raise SystemExit(f"paper_estimate: {error} (the main job, snakemake --cores all, writes results/tables/timings.csv)")
one = measured[measured.workers == 1]
# Seconds per call per unit of work, and the warm-up's seconds, per one-worker cell.
cells = one.groupby(["problem_kind", "problem", "impl", "backend", "study_type"]).agg(
    wall_s=("wall_s", "median"), work=("work", "first"), compile_s=("compile_s", "first")).reset_index()
cells["per_work"] = cells.wall_s / cells.work

work_cache = {}


def work_of(kind, instance, study_type, workers, calls):
    """The work of one timed call of a paper job (its data generated here, not timed)."""
    problem = get_problem(kind)
    params = problem.job_params(instance, study_type, workers)
    key = (kind, problem.instance_name(params))
    if key not in work_cache:
        if kind == "chamfer":  # point pairs: the cluster sizes are drawn, so generate them
            from scipar.problems.chamfer.datasets import gen_clusters

            work_cache[key] = gen_clusters(*params["L"]).n_points * gen_clusters(*params["R"]).n_points
        elif kind == "images":
            work_cache[key] = params["images"]
        else:  # the toy kernel's work follows from n alone
            work_cache[key] = problem.work(params)
    return work_cache[key] * calls


def job_seconds(call_s, sampling):
    sample_s = max(call_s, sampling["min_sample_s"] * 1.2)
    return min(sampling["max_job_s"], 2 * call_s + (2 + sampling["repeats"]) * sample_s) + 3  # + start-up


low = high = 0.0
missing = []
jobs = plan.timing_jobs(config, args.cores)
for job in jobs:
    spec = config["studies"][job.study]
    kind, study_type, calls = spec["problem"], spec["type"], spec.get("calls", 1)
    sampling = {k: spec.get(k, config[k]) for k in ("repeats", "min_sample_s", "max_job_s")}
    backend = "serial" if job.workers == 1 and job.backend != "prange" else job.backend
    match = cells[(cells.problem_kind == kind) & (cells.impl == job.impl)
                  & cells.backend.isin([backend, "serial", "threads"])]
    if match.empty:
        missing.append(job.path)
        continue
    same = match[match.problem == job.problem]
    per_work = (same if len(same) else match).per_work.median()
    call_s = per_work * work_of(kind, job.problem, study_type, job.workers, calls)
    low += job_seconds(call_s / job.workers, sampling)
    high += job_seconds(call_s, sampling)

if len(missing) == len(jobs):
    raise SystemExit(f"paper_estimate: no job of {args.config} matches a one-worker cell of {', '.join(args.timings)} "
                     "(same problem and implementation): give the timings.csv of a run of those studies")
print(f"{args.config} on {args.cores} cores: {len(jobs)} timing jobs, {len(jobs) - len(missing)} matched with "
      f"cells measured here ({len(cells)} one-worker cells from {len(args.timings)} file(s))")
print(f"estimated timing time: {low / 3600:.2f} h (linear speedup) to {high / 3600:.2f} h (no speedup), "
      "plus datasets and references")
if missing:
    print(f"{len(missing)} jobs without a measured match (not counted), e.g. {missing[0]}")
