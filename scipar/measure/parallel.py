"""How the work is spread: serial, threads, processes (joblib), or inside the kernel.

`parallel_map` runs independent calls of a module-level function. Threads share this
process, so the Timer's process CPU counts them; their pool lives as long as the
process, as loky's processes do, so that a timed call never pays for starting threads
(joblib's threading backend starts a pool per call: about 15 ms here). Processes (joblib's loky backend, whose
workers live on between calls, so compiled code is compiled once per worker, not per
task) each measure their own CPU, which is returned to the Timer.
"""

import functools
import os
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from joblib import Parallel, delayed

from scipar.measure.timer import cpu_timed

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
        return list(_thread_pool(workers).map(_call, [func] * len(arglist), arglist))
    if backend == "processes":
        triples = Parallel(n_jobs=workers, backend="loky")(
            delayed(_in_worker)(func, *args) for args in arglist
        )
        if timer is not None:
            # With one worker joblib runs the calls here, in this process, whose CPU
            # the timer already counts: add only what other processes spent.
            me = os.getpid()
            timer.add_worker_cpu(sum(cpu for _, cpu, pid in triples if pid != me))
        return [result for result, _, _ in triples]
    raise ValueError("backend 'prange' parallelises inside one kernel call, not over calls")


@functools.cache
def _thread_pool(workers):
    return ThreadPoolExecutor(workers, thread_name_prefix="scipar-worker")


def _call(func, args):
    return func(*args)


def _in_worker(func, *args):
    # Ctrl-C reaches the worker processes too (the terminal signals the whole foreground
    # process group): end at once, inside a compiled kernel as elsewhere, rather than
    # run on as an orphan after the job itself has ended.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_DFL:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return (*cpu_timed(func, *args), os.getpid())


def _hold_until_all_started(folder, workers, timeout_s, func, args):
    func(*args)
    open(os.path.join(folder, str(os.getpid())), "w").close()
    deadline = time.monotonic() + timeout_s
    while len(os.listdir(folder)) < workers and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.getpid()


def warm_processes(workers, func, args, timeout_s=120):
    """Call func(*args) once in every process of the pool of `workers`.

    Each call waits until `workers` calls are running, so no process can take two and
    every process imports and compiles what the timed calls will need. Returns the
    number of distinct processes reached.
    """
    with tempfile.TemporaryDirectory() as folder:
        pids = parallel_map(
            _hold_until_all_started, [(folder, workers, timeout_s, func, args)] * workers,
            "processes", workers,
        )
    return len(set(pids))
