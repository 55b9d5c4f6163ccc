"""One timing job: warm up once, untimed, then time each repeat and check the answer.

The result is a tidy table, one row per timed repeat, with the columns documented in
the README ("CSV columns").
"""

import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from scipar import plan
from scipar.atomic import atomic_path
from scipar.chamfer import chamfer_matrix, check_solution, solve, solve_rows
from scipar.datasets import load_clusters
from scipar.parallel import warm_processes
from scipar.provenance import provenance
from scipar.timer import Timer
from scipar.toy import run_toy, toy_kernel


class JobError(RuntimeError):
    pass


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def measure(run, repeats, verify):
    """Warm up with run(timer), then time `repeats` calls; verify the first and last answer.

    Returns (rows, facts): rows of wall_s, cpu_s, utilisation per repeat; facts holds
    compile_s (the warm-up's wall time: JIT compilation, pool start, first touch) and
    the ISO start and end of the job.
    """
    started_at = _now()
    with Timer() as warm:
        answer = run(warm)
    verify(answer)
    rows = []
    for repeat in range(repeats):
        with Timer() as t:
            answer = run(t)
        rows.append(dict(repeat=repeat, wall_s=t.wall_s, cpu_s=t.cpu_s, utilisation=t.utilisation))
    verify(answer)
    return rows, dict(compile_s=warm.wall_s, verified=True, started_at=started_at, finished_at=_now())


def toy_reference(n, variant):
    """The toy kernel's value without running the loop nest.

    overwrite leaves (i + 4) of the last iteration, i = n - 4. accumulate adds sqrt(i + 4)
    once for each (j, l, m) with i < j < l < m < n: C(n - 1 - i, 3) times.
    """
    if variant == "overwrite":
        return float(n) if n >= 4 else 0.0
    return math.fsum(math.sqrt(i + 4) * math.comb(n - 1 - i, 3) for i in range(max(n - 3, 0)))


def time_toy_job(job, repeats, calls, threads=0):
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
    rows, facts = measure(run, repeats, verify)
    sizes = dict(variant=variant, n=n, calls=calls, iterations=calls * math.comb(n, 4))
    return _table(job, threads, rows, facts, sizes)


def time_chamfer_job(job, repeats, left_path, right_path, reference_path, threads=0):
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
    rows, facts = measure(run, repeats, verify)
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
    table = pd.DataFrame([config | sizes | row | facts | provenance() for row in rows])
    return table.reindex(columns=[c for c in COLUMNS if c in table.columns])


COLUMNS = [
    "study", "problem", "impl", "variant", "backend", "workers", "snakemake_threads", "repeat",
    "n", "calls", "iterations", "clusters_l", "clusters_r", "n_points_l", "n_points_r", "pairs",
    "wall_s", "cpu_s", "utilisation", "compile_s", "verified",
    "host", "cpu_model", "logical_cpus", "python", "numpy", "numba", "cython",
    "scipar_version", "git_commit", "started_at", "finished_at", "slurm_job_id",
]


def write_csv_atomically(table, path):
    """Write the table so that a crash never leaves a half-written CSV at `path`."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
