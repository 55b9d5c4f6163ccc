"""Side-by-side performance of the Chamfer solve on one dataset, in one process.

Every implementation solves the same problem and is verified against the cKDTree
reference; throughput is point pairs (n_points_l * n_points_r) per second of the whole
solve, whether or not a solver evaluates every pair (cython-pruned skips pairs that
cannot be nearest, so its rate can exceed the C loop's, which evaluates all: the report
says which share it evaluated). The yardstick is a plain C loop
(benchmarks/c_baseline.c) compiled here with gcc -O3 -march=native -ffast-math. The
`numba` and `cython` kernels do the same work with the same floating-point permissions
(their build_flags), so their ratio compares the compilers. Run it with
benchmarks/chamfer_performance.py.
"""

import ctypes
import os
import subprocess
import tempfile
import time

import numpy as np

from scipar.problems import get_implementation
from scipar.problems.chamfer.solve import chamfer_matrix, check_solution, nearest, solve
from scipar.problems.chamfer.datasets import ClusterSet, gen_clusters
from scipar.measure.provenance import provenance
from scipar.problems.toy.kernels import toy_kernel

C_FLAGS = ["-O3", "-march=native", "-ffast-math", "-shared", "-fPIC"]


def compile_c_baseline(source):
    """Compile the C loop into a shared library and return solve(L, R) -> answer."""
    folder = tempfile.mkdtemp(prefix="scipar-c-")
    library = os.path.join(folder, "c_baseline.so")
    subprocess.run(["gcc", *C_FLAGS, "-o", library, source], check=True)
    lib = ctypes.CDLL(library)
    lib.chamfer_matrix.restype = ctypes.c_int
    ptr, i64 = ctypes.c_void_p, ctypes.c_int64

    def c_solve(L, R):
        out = np.empty((len(L), len(R)))
        status = lib.chamfer_matrix(
            ptr(L.soa.ctypes.data), i64(L.n_points), ptr(L.offsets.ctypes.data), i64(len(L)),
            ptr(R.soa.ctypes.data), i64(R.n_points), ptr(R.offsets.ctypes.data), i64(len(R)),
            ptr(out.ctypes.data),
        )
        if status:
            raise MemoryError("C baseline could not allocate its scratch row")
        return nearest(out)

    return c_solve


def median_time(run, repeats, warm_up):
    """Call warm_up() once (compilation), then the median wall time of `repeats` calls
    of run() and the last answer."""
    warm_up()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), answer


C_LOOP = "C loop (gcc " + " ".join(C_FLAGS[:3]) + ")"
KERNEL = "cython kernel, every pair (same work as the C loop)"
NUMBA = "numba kernel, every pair (cython's flags)"


def chamfer_contenders(c_source, fastest, workers):
    """(label, threads, solve function) of every contender, the yardstick first; the
    fastest in prange at every worker count from 2 to `workers`."""
    c_solve = compile_c_baseline(c_source)
    return [
        (C_LOOP, 1, c_solve),
        (KERNEL, 1, lambda L, R: solve(L, R, "cython")),
        (NUMBA, 1, lambda L, R: solve(L, R, "numba")),
        (fastest, 1, lambda L, R: solve(L, R, fastest)),
        *((f"{fastest} prange", p, lambda L, R, p=p: solve(L, R, fastest, "prange", p)) for p in range(2, workers + 1)),
        ("reference", 1, lambda L, R: solve(L, R, "reference")),
        ("numba-workshop", 1, lambda L, R: solve(L, R, "numba-workshop")),
    ]


def run_benchmark(left, right, c_source, fastest="cython-pruned", workers=2, repeats=5, slow_repeats=1, toy_n=200):
    """Time every contender on one problem and the toy kernel; return a dict of results."""
    L, R = gen_clusters(*left), gen_clusters(*right)
    # Warm-ups compile on a small piece of the same data: the slow contenders need minutes
    # for the whole problem, and compilation only depends on the types.
    few = ClusterSet.from_clusters(L.clusters[:2])
    pairs = L.n_points * R.n_points
    rows = []
    for label, threads, run in chamfer_contenders(c_source, fastest, workers):
        slow = label in ("reference", "numba-workshop")
        seconds, answer = median_time(lambda: run(L, R), slow_repeats if slow else repeats, lambda: run(few, R))
        rows.append(dict(label=label, threads=threads, seconds=seconds, pairs_per_s=pairs / seconds, answer=answer))
    matrix = chamfer_matrix(L, R, "reference")
    for row in rows:
        check_solution(L, R, *row.pop("answer"), reference=matrix)  # raises if wrong
        row["verified"] = True
    stats = {}
    get_implementation(fastest, "chamfer").solver(L, R, 0, len(L), 1, stats)
    toy = {}
    for impl in ("python", "cython", "numba-nogil"):
        toy[impl], _ = median_time(
            lambda: toy_kernel(toy_n, impl, "accumulate"), 1 if impl == "python" else repeats,
            lambda: toy_kernel(8, impl, "accumulate"),
        )
    return dict(left=left, right=right, points=L.n_points + R.n_points, pairs=pairs, rows=rows,
                toy=toy, toy_n=toy_n, fastest=fastest, workers=workers,
                evaluated=stats["point_pairs_evaluated"] / pairs,
                flags={impl: get_implementation(impl, "chamfer").build_flags for impl in ("numba", "cython")})


def ratios(results):
    """(description, measured, goal) of each goal of the performance issues; a goal of
    None is a fact without one."""
    by = {(r["label"], r["threads"]): r for r in results["rows"]}
    fastest = results["fastest"]
    one = by[fastest, 1]["seconds"]
    c_rate = by[C_LOOP, 1]["pairs_per_s"]
    toy = results["toy"]
    return [
        (f"{fastest}: share of the point pairs it evaluated (the rest proved not nearest)", results["evaluated"], None),
        (f"{fastest} rate / C loop rate, one thread", by[fastest, 1]["pairs_per_s"] / c_rate, 10.0),
        ("cython kernel rate / C loop rate, one thread, same work", by[KERNEL, 1]["pairs_per_s"] / c_rate, 0.70),
        ("numba kernel time / cython kernel time, same work and flags", by[NUMBA, 1]["seconds"] / by[KERNEL, 1]["seconds"], None),
        (f"reference time / {fastest} time", by["reference", 1]["seconds"] / one, 10.0),
        (f"numba-workshop time / {fastest} time", by["numba-workshop", 1]["seconds"] / one, 100.0),
        *((f"{fastest} parallel efficiency on {p} threads, T(1) / ({p} T({p}))",
           one / (p * by[f"{fastest} prange", p]["seconds"]), 0.9) for p in range(2, results["workers"] + 1)),
        (f"toy accumulate n={results['toy_n']}: python time / cython time", toy["python"] / toy["cython"], 100.0),
        (f"toy accumulate n={results['toy_n']}: python time / numba-nogil time", toy["python"] / toy["numba-nogil"], 100.0),
    ]


def format_report(results):
    p = provenance()
    lines = [
        f"problem L={results['left']} R={results['right']}: {results['points']:,} points, "
        f"{results['pairs']:.4g} point pairs",
        f"machine: {p['cpu_model']}, {p['logical_cpus']} logical CPUs; numba {p['numba']}, cython {p['cython']}",
        "",
        f"{'implementation':<52} {'threads':>7} {'median s':>10} {'pairs/s':>10}  verified",
    ]
    for r in results["rows"]:
        lines.append(f"{r['label']:<52} {r['threads']:>7} {r['seconds']:>10.4g} {r['pairs_per_s']:>10.3g}  {r['verified']}")
    lines += ["", f"toy kernel, accumulate, n={results['toy_n']}: "
              + ", ".join(f"{k} {v:.4g} s" for k, v in results["toy"].items()), ""]
    lines += [f"build flags of {impl}: {flags}" for impl, flags in results["flags"].items()]
    lines += ["", "ratios (goal):"]
    for text, value, goal in ratios(results):
        verdict = "" if goal is None else f" (goal >= {goal:g}) {'met' if value >= goal else 'NOT MET'}"
        lines.append(f"  {text}: {value:.3g}{verdict}")
    return "\n".join(lines)
