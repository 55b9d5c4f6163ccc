"""One timing job: warm up, calibrate, sample until the median is known well enough.

1. Warm up: one untimed call (JIT compilation, pool start, first touch), checked.
2. Calibrate: find how many calls (`loops`) make one sample last at least
   `min_sample_s`, as timeit's autorange and pyperf do, so that a sample of a 0.3 ms
   kernel is not mostly timer and scheduler noise. A sample that still comes out
   shorter (the calls sped up) is dropped and taken again with more calls.
3. Sample: at least `repeats` samples, then more until the bootstrap 95 % interval of
   the median per-call time is within +-`target_ci` of it, or until the job has spent
   `max_job_s`. Every row records why the job stopped.
4. Check the last answer again.

Every sample also records what the rest of the machine did meanwhile (scipar.noise).
The result is a tidy table, one row per timed sample, times per call (README, "CSV
columns").
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from scipar import noise, plan
from scipar.atomic import atomic_path
from scipar.chamfer import chamfer_matrix, check_solution, solve, solve_rows
from scipar.datasets import load_clusters
from scipar.parallel import warm_processes
from scipar.provenance import provenance
from scipar.stats import relative_half_width
from scipar.timer import Timer
from scipar.toy import run_toy, toy_kernel


class JobError(RuntimeError):
    pass


@dataclass(frozen=True)
class Sampling:
    """How long and how often a job samples (config keys of the same names)."""

    repeats: int = 5  # samples at least
    min_sample_s: float = 0.1  # one sample lasts at least this long
    target_ci: float = 0.05  # stop once the median's interval is within +-5 %
    max_job_s: float = 60.0  # or once the job has run this long, warm-up included

    MAX_LOOPS = 10**7
    # Calibration aims this much above min_sample_s, so that a sample a little faster
    # than the calibration's still lasts long enough.
    AIM = 1.2


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _timed(run, loops):
    """One sample: `loops` calls under one Timer; returns (Timer, last answer)."""
    with Timer() as t:
        for _ in range(loops):
            answer = run(t)
    return t, answer


def _more_loops(loops, wall_s, min_sample_s):
    """The loops that should make a sample of `loops` calls, which took `wall_s`, last
    AIM times the minimum; growing at most tenfold per step, in case these calls were
    unusually fast."""
    wanted = math.ceil(loops * Sampling.AIM * min_sample_s / max(wall_s, 1e-9))
    return min(max(loops + 1, min(wanted, 10 * loops)), Sampling.MAX_LOOPS)


def calibrate(run, min_sample_s):
    """The number of calls that makes one sample last at least AIM * `min_sample_s`."""
    loops = 1
    while loops < Sampling.MAX_LOOPS:
        t, _ = _timed(run, loops)
        if t.wall_s >= Sampling.AIM * min_sample_s:
            break
        loops = _more_loops(loops, t.wall_s, min_sample_s)
    return loops


def measure(run, verify, sampling):
    """Warm up with run(timer), calibrate, then sample adaptively; verify the answers.

    Returns (rows, facts): per sample, the per-call wall_s, cpu_s and utilisation, the
    loops and the noise seen meanwhile; facts are per job (compile_s, samples, why the
    sampling stopped, the machine's state, start and end).
    """
    clock = time.perf_counter()
    facts = dict(started_at=_now(), **noise.machine_facts())
    with Timer() as warm:
        answer = run(warm)
    verify(answer)
    loops = calibrate(run, sampling.min_sample_s)
    rows, walls = [], []
    while True:
        before = noise.Counters.now()
        t, answer = _timed(run, loops)
        after = noise.Counters.now()
        if t.wall_s < sampling.min_sample_s and loops < Sampling.MAX_LOOPS:
            # The calls got faster since the calibration (caches, clocks, pools warming
            # up): this sample is too short to keep; take it again with more calls.
            loops = _more_loops(loops, t.wall_s, sampling.min_sample_s)
            continue
        walls.append(t.wall_s / loops)
        rows.append(dict(
            repeat=len(rows), loops=loops, wall_s=walls[-1], cpu_s=t.cpu_s / loops, utilisation=t.utilisation,
            **noise.sample_noise(before, after, t.cpu_s, t.wall_s),
        ))
        if len(walls) < sampling.repeats:
            continue
        half_width = relative_half_width(walls)
        if half_width <= sampling.target_ci:
            stop = "interval"
            break
        if time.perf_counter() - clock + t.wall_s > sampling.max_job_s:
            stop = "budget"
            break
    verify(answer)
    facts |= dict(
        compile_s=warm.wall_s, verified=True, samples=len(rows), stop_reason=stop, ci_half_width=half_width,
        target_ci=sampling.target_ci, min_sample_s=sampling.min_sample_s, finished_at=_now(),
    )
    return rows, facts


def toy_reference(n, variant):
    """The toy kernel's value without running the loop nest.

    overwrite leaves (i + 4) of the last iteration, i = n - 4. accumulate adds sqrt(i + 4)
    once for each (j, l, m) with i < j < l < m < n: C(n - 1 - i, 3) times.
    """
    if variant == "overwrite":
        return float(n) if n >= 4 else 0.0
    return math.fsum(math.sqrt(i + 4) * math.comb(n - 1 - i, 3) for i in range(max(n - 3, 0)))


def time_toy_job(job, sampling, calls, threads=0):
    variant, n = plan.parse_toy_problem(job.problem)
    expected = toy_reference(n, variant)

    def run(timer):
        return run_toy(n, job.impl, variant, calls, job.backend, job.workers, timer)

    def verify(results):
        if len(results) != calls or not np.allclose(results, expected, rtol=1e-9, atol=0):
            raise JobError(f"{job.path}: toy kernel returned {results[:3]}..., expected {expected!r}")

    if job.backend == "processes":
        # Compile in every worker process before timing (and start the pool).
        warm_processes(job.workers, toy_kernel, (min(n, 8), job.impl, variant))
    rows, facts = measure(run, verify, sampling)
    sizes = dict(variant=variant, n=n, calls=calls, iterations=calls * math.comb(n, 4))
    return _table(job, threads, rows, facts, sizes)


def time_chamfer_job(job, sampling, left_path, right_path, reference_path, threads=0):
    left, right = plan.cluster_sets(job.study, job.problem, job.workers)
    L = load_clusters(left_path, expect=dict(zip(("cluster_count", "max_size", "seed"), left)))
    R = load_clusters(right_path, expect=dict(zip(("cluster_count", "max_size", "seed"), right)))
    reference = load_reference(reference_path, L, R)

    def run(timer):
        return solve(L, R, job.impl, job.backend, job.workers, timer)

    def verify(answer):
        check_solution(L, R, *answer, reference=reference)

    if job.backend == "processes":
        warm_processes(job.workers, solve_rows, (job.impl, L, R, 0, 1))
    rows, facts = measure(run, verify, sampling)
    sizes = dict(
        clusters_l=len(L), clusters_r=len(R), n_points_l=L.n_points, n_points_r=R.n_points,
        pairs=L.n_points * R.n_points,
    )
    return _table(job, threads, rows, facts, sizes)


def write_reference(left_path, right_path, path):
    """Save the reference (cKDTree) distance matrix of a problem, atomically."""
    matrix = chamfer_matrix(load_clusters(left_path), load_clusters(right_path), impl="reference")
    with atomic_path(path, ".tmp.npz") as tmp:
        np.savez(tmp, matrix=matrix)


def load_reference(path, L, R):
    with np.load(path) as data:
        matrix = data["matrix"]
    if matrix.shape != (len(L), len(R)):
        raise JobError(f"{path}: reference matrix {matrix.shape} does not fit {len(L)} x {len(R)} clusters")
    return matrix


def _table(job, threads, rows, facts, sizes):
    config = dict(
        study=job.study, problem=job.problem, impl=job.impl, backend=job.backend,
        workers=job.workers, snakemake_threads=threads,
    )
    # More workers than CPUs: those this process may run on, and here, under
    # Snakemake, also the cores it was given (threads; 0 outside Snakemake).
    usable = min(threads, facts["cpus_allowed"]) if threads else facts["cpus_allowed"]
    facts = facts | dict(oversubscribed=job.workers > usable)
    table = pd.DataFrame([config | sizes | row | facts | provenance() for row in rows])
    return table.reindex(columns=[c for c in COLUMNS if c in table.columns])


COLUMNS = [
    "study", "problem", "impl", "variant", "backend", "workers", "snakemake_threads", "repeat",
    "n", "calls", "iterations", "clusters_l", "clusters_r", "n_points_l", "n_points_r", "pairs",
    "loops", "wall_s", "cpu_s", "utilisation", "compile_s", "verified",
    "samples", "stop_reason", "ci_half_width", "target_ci", "min_sample_s",
    "load_before", "others_cores", "steal_fraction", "cpus_allowed", "oversubscribed", "governor",
    "host", "cpu_model", "logical_cpus", "python", "numpy", "numba", "cython",
    "scipar_version", "git_commit", "started_at", "finished_at", "slurm_job_id",
]


def write_csv_atomically(table, path):
    """Write the table so that a crash never leaves a half-written CSV at `path`."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
