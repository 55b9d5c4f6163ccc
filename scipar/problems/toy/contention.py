"""Is it the interpreter or the spelling? The toy loop on 1 and on 2 threads, three ways.

On a free-threaded CPython, pure Python threads run at once, unless they keep touching
one shared object: every use of an object updates its reference count, and threads
doing so together contend for one cache line. The workshop's loop body `(i + 4) ** 0.5`
uses one: the constant 0.5 of its code object. This diagnostic times, under the
interpreter that runs it, 8 calls of the accumulate loop at n = N, on 1 thread and on 2
(a ThreadPoolExecutor), best of 3, for

  imported ** 0.5      the workshop's spelling, from a module file (as scipar runs it,
                       and as a user's imported code would be);
  imported local sqrt  the same arithmetic with math.sqrt bound to a local: no object
                       shared in the hot loop;
  __main__ ** 0.5      the workshop's spelling, defined in this script.

If removing the shared constant restores the scaling, and the same spelling scales
where its constant is not shared the same way (__main__), the cause is contention on
that object, not the interpreter's threads. Every result is checked against the others.

Only the standard library: run it with any interpreter, scipar installed there or not:

    python3.13t path/to/scipar/problems/toy/contention.py [N]
"""

import importlib.util
import math
import os
import sys
import sysconfig
import time
from concurrent.futures import ThreadPoolExecutor

CALLS, BEST_OF = 8, 3


def accumulate_main(n):
    # spellings.accumulate, written again on purpose: the same spelling, defined in __main__.
    out = 0.0
    for m in range(n):
        for l in range(m):
            for j in range(l):
                for i in range(j):
                    out += (i + 4) ** 0.5
    return out


def _spellings():
    """scipar's spellings module, loaded from its file (an imported module, whether or not
    scipar is installed under this interpreter)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spellings.py")
    spec = importlib.util.spec_from_file_location("scipar_toy_spellings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _best(kernel, n, threads):
    times = []
    for _ in range(BEST_OF):
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(kernel, [n] * CALLS))
        times.append(time.perf_counter() - start)
    return min(times), results[0]


def measure(n=50):
    """[(variant, seconds on 1 thread, seconds on 2, speedup, result)]."""
    spellings = _spellings()
    variants = [("imported ** 0.5", spellings.accumulate), ("imported local sqrt", spellings.accumulate_local),
                ("__main__ ** 0.5", accumulate_main)]
    rows = []
    for name, kernel in variants:
        one, result = _best(kernel, n, 1)
        two, _ = _best(kernel, n, 2)
        rows.append((name, one, two, one / two, result))
    return rows


def main(argv):
    n = int(argv[0]) if argv else 50
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    build = "free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else "default"
    print(f"Python {sys.version.split()[0]} ({build} build, GIL {'on' if gil else 'off'}), {os.cpu_count()} CPUs; "
          f"{CALLS} calls of the accumulate loop at n = {n}, best of {BEST_OF}")
    rows = measure(n)
    print(f"{'variant':<22}{'1 thread s':>12}{'2 threads s':>13}{'speedup':>9}")
    for name, one, two, speedup, _ in rows:
        print(f"{name:<22}{one:>12.3f}{two:>13.3f}{speedup:>8.2f}x")
    results = [r[-1] for r in rows]
    agree = all(math.isclose(r, results[0], rel_tol=1e-12) for r in results)
    print(f"results agree to 1e-12: {agree} ({results[0]!r})")
    by = {name: speedup for name, _, _, speedup, _ in rows}
    if by["imported local sqrt"] > 1.5 * by["imported ** 0.5"] and by["__main__ ** 0.5"] > 1.5 * by["imported ** 0.5"]:
        print("contention: the imported ** 0.5 spelling scales less than the same arithmetic without the shared "
              "constant, and less than the same spelling defined in __main__: its constant's reference count, "
              "shared by the threads, is the cause")
    else:
        print("no contention shown: the three spellings scale alike here")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
