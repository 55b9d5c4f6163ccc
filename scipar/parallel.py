"""How the work is spread: serial, threads, processes (joblib), or inside the kernel.

`parallel_map` runs independent calls of a module-level function. Threads share this
process, so the Timer's process CPU counts them. Processes (joblib's loky backend, whose
workers live on between calls, so compiled code is compiled once per worker, not per
task) each measure their own CPU, which is returned to the Timer.
"""

import os

from joblib import Parallel, delayed

from scipar.timer import cpu_timed

BACKENDS = ("serial", "threads", "processes", "prange")


def check_workers(backend, workers, impl=None):
    """Reject a backend/workers/implementation combination that cannot run as asked."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if backend == "serial" and workers != 1:
        raise ValueError(f"backend 'serial' runs one worker, got workers={workers}")
    if backend == "prange" and impl is not None and not impl.parallel_inside:
        raise ValueError(
            f"implementation {impl.name!r} has no parallel loop inside; backend 'prange' "
            "needs one of the implementations with parallel_inside=True"
        )


def parallel_map(func, arglist, backend, workers, timer=None):
    """[func(*args) for args in arglist], spread over `workers` of `backend`."""
    check_workers(backend, workers)
    if backend == "serial":
        return [func(*args) for args in arglist]
    if backend == "threads":
        return Parallel(n_jobs=workers, backend="threading")(delayed(func)(*a) for a in arglist)
    if backend == "processes":
        pairs = Parallel(n_jobs=workers, backend="loky")(
            delayed(cpu_timed)(func, *args) for args in arglist
        )
        if timer is not None:
            timer.add_worker_cpu(sum(cpu for _, cpu in pairs))
        return [result for result, _ in pairs]
    raise ValueError("backend 'prange' parallelises inside one kernel call, not over calls")


def worker_pids(workers):
    """Start the process pool of `workers` and return the pids that served one call each.

    Each call sleeps until all `workers` are busy at once, so every process of the pool
    imports and compiles what the next calls need: used by warm-ups.
    """
    return set(parallel_map(os.getpid, [()] * workers, "processes", workers))
