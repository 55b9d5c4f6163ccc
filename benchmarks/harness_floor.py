"""What scipar's own path costs per timed call, per problem, and one sub-millisecond
kernel timed by scipar against pyperf (when it is installed).

    .venv/bin/python benchmarks/harness_floor.py

The floor (scipar.workflow.floor) is the time of one serial solve with every kernel
answer replayed: split, compute's call, combine, the timer. Run from scipar's clone
(it imports the examples' plug-ins). Ratios of one run on one machine are what to
read; absolute times move between runs.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = [os.path.join(HERE, "..", "examples", name) for name in ("pairhist", "mandelbrot")]
sys.path[:0] = EXAMPLES

from scipar.measure.sampling import Sampling, measure  # noqa: E402
from scipar.problems import get_implementation, get_problem, load_plugins  # noqa: E402
from scipar.workflow.floor import harness_floor  # noqa: E402

# (problem, instance parameters, implementation): a small instance of each.
CASES = [
    ("toy", {"variant": "accumulate", "n": 10}, "numba-nogil"),
    ("chamfer", {"L": [20, 10, 1], "R": [15, 10, 2]}, "numba"),
    ("images", {"images": 2, "size": 64, "seed": 0}, "ndimage"),
    ("pairhist", {"points": 200, "bins": 16}, "numba"),
    ("mandelbrot", {"n": 20}, "numba"),
]


def loaded(kind, params, folder):
    problem = get_problem(kind)
    paths = {}
    for role, name in problem.datasets(params).items():
        paths[role] = os.path.join(folder, name)
        problem.make_dataset(name, paths[role])
    return problem, problem.load(params, paths)


def scipar_median(problem, data, impl):
    """The median per-call time scipar's sampling reports for a serial solve."""
    rows, _ = measure(lambda timer: problem.solve(data, impl, "serial", 1, timer), lambda answer: None,
                      Sampling(repeats=20, processes=1, min_sample_s=0.05, max_job_s=30))
    return float(np.median([r["wall_s"] for r in rows]))


def direct_median(problem, data, impl, seconds=1.0):
    """The median per-call time of the kernel called directly, without scipar."""
    args = data if isinstance(data, dict) else {}
    kernel = impl.kernel
    kernel(**args)
    loops = max(1, int(0.05 / max(1e-9, _once(kernel, args))))
    samples, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        for _ in range(loops):
            kernel(**args)
        samples.append((time.perf_counter() - start) / loops)
    return float(np.median(samples))


def _once(kernel, args):
    start = time.perf_counter()
    kernel(**args)
    return time.perf_counter() - start


def pyperf_mean(setup, statement):
    """pyperf's mean per-call time of `statement` (python -m pyperf timeit), or None."""
    try:
        import pyperf  # noqa: F401
    except ImportError:
        return None
    env = os.environ | {"PYTHONPATH": os.pathsep.join(EXAMPLES + [os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "pyperf", "timeit", "--fast", "-q", "-s", setup, statement],
                         capture_output=True, text=True, env=env, timeout=600)
    found = re.search(r"([\d.]+) (ns|us|ms|sec) \+-", out.stdout)  # "Mean +- std dev: 89.3 us +- 31.1 us"
    if found is None:
        raise RuntimeError(f"pyperf printed no time: {out.stdout[-300:]} {out.stderr[-300:]}")
    return float(found[1]) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "sec": 1.0}[found[2]]


def main():
    load_plugins(["pairhist", "mandelbrot"])
    print("harness floor per problem (one serial solve, kernel answers replayed):")
    with tempfile.TemporaryDirectory() as folder:
        for kind, params, name in CASES:
            problem, data = loaded(kind, params, folder)
            impl = get_implementation(name, kind)
            impl.kernel  # imported before timing
            problem.solve(data, impl)  # compiled before timing
            print(f"  {kind:<11} {harness_floor(problem, data, impl) * 1e6:8.2f} µs per call ({name}, {params})")
    problem, data = loaded("pairhist", {"points": 200, "bins": 16}, None)
    impl = get_implementation("numba", "pairhist")
    ours, direct = scipar_median(problem, data, impl), direct_median(problem, data, impl)
    print("\none sub-millisecond kernel: pairhist numba, 200 points (19,900 pairs)")
    print(f"  kernel called directly  {direct * 1e6:8.2f} µs per call")
    print(f"  scipar's sampling       {ours * 1e6:8.2f} µs per call  (x{ours / direct:.3f} of direct)")
    theirs = pyperf_mean("from pairhist_kernels import numba_rows, random_points; d = random_points(200, 16); "
                         "numba_rows(**d)", "numba_rows(**d)")
    if theirs is None:
        print("  pyperf                  not installed (pip install pyperf)")
    else:
        print(f"  pyperf timeit           {theirs * 1e6:8.2f} µs per call  (scipar / pyperf: x{ours / theirs:.3f})")


if __name__ == "__main__":
    main()
