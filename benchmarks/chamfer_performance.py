"""Benchmark: scipar's fastest Chamfer solve beside a plain C loop, cKDTree and the
workshop's kernel, on one dataset in one process; prints throughput and ratios.

    .venv/bin/python benchmarks/chamfer_performance.py              # the 83,219-point problem
    .venv/bin/python benchmarks/chamfer_performance.py --left 100 200 1 --right 50 450 2
"""

import argparse
import os

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--left", type=int, nargs=3, default=[400, 200, 1], metavar=("CLUSTERS", "MAX_SIZE", "SEED"))
parser.add_argument("--right", type=int, nargs=3, default=[200, 450, 2], metavar=("CLUSTERS", "MAX_SIZE", "SEED"))
parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="parallel runs on 2..WORKERS threads (default: the CPUs this process may use)")
parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds of the fast contenders (default 7)")
parser.add_argument("--toy-n", type=int, default=200, help="toy kernel size (default 200, the workshop's)")
args = parser.parse_args()

from scipar.measure.layers import pin_threads  # noqa: E402

pin_threads(args.workers, "prange")  # before numba is imported

from chamfer_benchmark import format_report, run_benchmark  # noqa: E402  (beside this script)

source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c_baseline.c")
results = run_benchmark(tuple(args.left), tuple(args.right), source, workers=args.workers,
                        repeats=args.repeats, toy_n=args.toy_n)
print(format_report(results))
