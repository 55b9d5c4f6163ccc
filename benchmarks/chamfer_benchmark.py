"""Side-by-side performance of the Chamfer solve on one dataset, in one process.

Every implementation solves the same problem and is verified against the cKDTree
reference; throughput is point pairs (n_points_l * n_points_r) per second of the whole
solve, whether or not a solver evaluates every pair (cython-pruned skips pairs that
cannot be nearest, so its rate can exceed the C loop's, which evaluates all: the report
says which share it evaluated). The yardstick is a plain C loop
(benchmarks/c_baseline.c) compiled here with gcc -O3 -march=native -ffast-math. The
`numba` and `cython` kernels do the same work with the same floating-point permissions
(their build_flags), so their ratio compares the compilers. The fast contenders run
in interleaved rounds, so that every ratio between them is taken within a round, on
the same state of a shared machine; each ratio comes with a bootstrap 95 % interval (of this one process: rounds, not reruns),
and a goal counts as met only when the whole interval is. Run it with
benchmarks/chamfer_performance.py (the command line); this module is its logic, beside it
rather than in the package, which it measures.
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
from scipar.measure.stats import bootstrap_median_ci, bootstrap_ratio_ci
from scipar.measure.stats import too_good
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


def interleaved_times(contenders, rounds):
    """Call every (key, run) of `contenders` once per round, each round starting one
    contender later; returns {key: seconds of each round} and {key: last answer}.

    Two contenders' times from the same round saw the same state of this shared
    machine, so a ratio of the two is taken round by round (paired), and no contender
    always runs right after the same other one."""
    times, answers = {key: [] for key, _ in contenders}, {}
    for k in range(rounds):
        shift = k % len(contenders)
        for key, run in contenders[shift:] + contenders[:shift]:
            start = time.perf_counter()
            answers[key] = run()
            times[key].append(time.perf_counter() - start)
    return times, answers


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


SLOW = {"reference": 3, "numba-workshop": 1}  # samples of the contenders that take seconds to minutes


def run_benchmark(left, right, c_source, fastest="cython-pruned", workers=2, repeats=7, toy_n=200, toy_repeats=3):
    """Time every contender on one problem and the toy kernel; return a dict of results.

    The fast contenders are timed in `repeats` interleaved rounds (interleaved_times),
    the slow ones SLOW times each, after them."""
    L, R = gen_clusters(*left), gen_clusters(*right)
    # Warm-ups compile on a small piece of the same data: the slow contenders need minutes
    # for the whole problem, and compilation only depends on the types.
    few = ClusterSet.from_clusters(L.clusters[:2])
    contenders = chamfer_contenders(c_source, fastest, workers)
    for _, _, run in contenders:
        run(few, R)
    keyed = [((label, threads), lambda run=run: run(L, R)) for label, threads, run in contenders]
    times, answers = interleaved_times([c for c in keyed if c[0][0] not in SLOW], repeats)
    for key, run in keyed:
        if key[0] in SLOW:
            slow, answer = interleaved_times([(key, run)], SLOW[key[0]])
            times.update(slow)
            answers.update(answer)
    matrix = chamfer_matrix(L, R, "reference")
    pairs = L.n_points * R.n_points
    rows = []
    for (label, threads), seconds in times.items():
        check_solution(L, R, *answers[label, threads], reference=matrix)  # raises if wrong
        rows.append(dict(label=label, threads=threads, times=seconds, seconds=float(np.median(seconds)),
                         pairs_per_s=pairs / float(np.median(seconds)), verified=True))
    stats = {}
    get_implementation(fastest, "chamfer").solver(L, R, 0, len(L), 1, stats)
    toy_runs = [(impl, lambda impl=impl: toy_kernel(toy_n, impl, "accumulate")) for impl in ("python", "cython", "numba-nogil")]
    for impl, _ in toy_runs:
        toy_kernel(8, impl, "accumulate")
    toy, _ = interleaved_times(toy_runs, toy_repeats)
    return dict(left=left, right=right, points=L.n_points + R.n_points, pairs=pairs, rows=rows,
                toy=toy, toy_n=toy_n, fastest=fastest, workers=workers,
                evaluated=stats["point_pairs_evaluated"] / pairs,
                flags={impl: get_implementation(impl, "chamfer").build_flags for impl in ("numba", "cython")})


def paired(numerator, denominator, scale=1.0):
    """scale * numerator / denominator round by round (interleaved_times): the median
    and its bootstrap 95 % interval."""
    return bootstrap_median_ci(scale * np.asarray(numerator) / np.asarray(denominator))


def ratios(results):
    """(description, value, interval low, high, goal, flag) of each goal of the
    performance issues; a goal of None is a fact without one, a flag says why a value
    deserves less trust (or "")."""
    by = {(r["label"], r["threads"]): r["times"] for r in results["rows"]}
    fastest = results["fastest"]
    one, c_loop, kernel = by[fastest, 1], by[C_LOOP, 1], by[KERNEL, 1]
    toy = results["toy"]
    share = results["evaluated"]

    def unpaired(slow):
        flag = f"{slow}: one sample, the interval is {fastest}'s noise alone" if len(by[slow, 1]) == 1 else ""
        return (*bootstrap_ratio_ci(by[slow, 1], one), 10.0 if slow == "reference" else 100.0, flag)

    def efficiency(p):
        value, low, high = paired(one, by[f"{fastest} prange", p], 1 / p)
        return (f"{fastest} parallel efficiency on {p} threads, T(1) / ({p} T({p}))", value, low, high, 0.9,
                too_good(value, low))

    return [
        (f"{fastest}: point-pair evaluations / point pairs (the rest proved not nearest; a pair its proof pass "
         "cannot abandon is evaluated twice)", share, share, share, None, "a count, not a timing"),
        (f"{fastest} rate / C loop rate, one thread", *paired(c_loop, one), 10.0, ""),
        ("cython kernel rate / C loop rate, one thread, same work", *paired(c_loop, kernel), 0.70, ""),
        ("numba kernel time / cython kernel time, same work and flags", *paired(by[NUMBA, 1], kernel), None, ""),
        (f"reference time / {fastest} time", *unpaired("reference")),
        (f"numba-workshop time / {fastest} time", *unpaired("numba-workshop")),
        *(efficiency(p) for p in range(2, results["workers"] + 1)),
        *((f"toy accumulate n={results['toy_n']}: python time / {impl} time", *paired(toy["python"], toy[impl]),
           100.0, "") for impl in ("cython", "numba-nogil")),
    ]


def verdict(value, low, goal):
    """Whether a goal was met, judged on the interval, not only on the median."""
    if goal is None:
        return ""
    if low >= goal:
        return f" (goal >= {goal:g}) met: its whole interval"
    if value >= goal:
        return f" (goal >= {goal:g}) met by the median only: its interval reaches below"
    return f" (goal >= {goal:g}) NOT MET"


def format_report(results):
    p = provenance()
    lines = [
        f"problem L={results['left']} R={results['right']}: {results['points']:,} points, "
        f"{results['pairs']:.4g} point pairs",
        f"machine: {p['cpu_model']}, {p['logical_cpus']} logical CPUs; numba {p['numba']}, cython {p['cython']}",
        "",
        f"{'implementation':<52} {'threads':>7} {'median s':>10} {'95 % interval':>21} {'pairs/s':>10}  verified",
    ]
    for r in results["rows"]:
        low, high = bootstrap_median_ci(r["times"])[1:]
        interval = f"[{low:>9.4g}, {high:>9.4g}]" if len(r["times"]) > 1 else f"{'one sample':>21}"
        lines.append(f"{r['label']:<52} {r['threads']:>7} {r['seconds']:>10.4g} {interval} "
                     f"{r['pairs_per_s']:>10.3g}  {r['verified']}")
    lines += ["", f"toy kernel, accumulate, n={results['toy_n']}, median s: "
              + ", ".join(f"{k} {np.median(v):.4g}" for k, v in results["toy"].items()), ""]
    lines += [f"build flags of {impl}: {flags}" for impl, flags in results["flags"].items()]
    lines += ["", "ratios [bootstrap 95 % interval] (goal); the fast contenders ran in interleaved rounds and "
              "their ratios are taken round by round:"]
    for text, value, low, high, goal, flag in ratios(results):
        lines.append(f"  {text}: {value:.3g} [{low:.3g}, {high:.3g}]{verdict(value, low, goal)}"
                     + (f"; flagged: {flag}" if flag else ""))
    return "\n".join(lines)
