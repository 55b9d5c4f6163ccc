import time

import pytest

import scipar


def burn(seconds):
    """Spin the CPU for about `seconds` of CPU time."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return seconds


def test_timer_counts_wall_and_cpu():
    with scipar.Timer() as t:
        burn(0.2)
        time.sleep(0.2)
    assert t.cpu_s >= 0.19 and t.wall_s >= 0.39
    assert t.utilisation == pytest.approx(t.cpu_s / t.wall_s)
    assert t.utilisation < 0.8  # sleeping is not CPU


def test_timer_counts_cpu_of_worker_processes():
    # Defect 6: the workshop timed the parent only and printed "CPU 0.21 s" for 16 busy
    # processes. Four calls of 0.3 s of CPU each, in two worker processes.
    from scipar.measure.parallel import parallel_map

    parallel_map(burn, [(0.01,)] * 2, "processes", 2)  # start the pool outside the timing
    with scipar.Timer() as t:
        parallel_map(burn, [(0.3,)] * 4, "processes", 2, timer=t)
    assert t.worker_cpu_s >= 1.2
    assert t.cpu_s >= t.worker_cpu_s
    # The parent itself only waited: without the workers, CPU would be far below 1.2 s.
    assert t.cpu_s - t.worker_cpu_s < 0.6


def test_timer_counts_cpu_of_threads():
    # process_time covers every thread of the process: two threads running a kernel that
    # releases the GIL accumulate about twice the CPU of one.
    scipar.toy_kernel(5, "numba-nogil", "accumulate")  # compile outside the timing
    with scipar.Timer() as one:
        scipar.run_toy(140, "numba-nogil", "accumulate", calls=1)
    with scipar.Timer() as two:
        scipar.run_toy(140, "numba-nogil", "accumulate", calls=2, backend="threads", workers=2)
    assert two.worker_cpu_s == 0.0
    assert two.cpu_s >= 1.6 * one.cpu_s


def test_one_process_worker_is_not_counted_twice():
    # joblib runs the calls of a single worker in the calling process.
    from scipar.measure.parallel import parallel_map

    with scipar.Timer() as t:
        parallel_map(burn, [(0.2,)] * 2, "processes", 1, timer=t)
    assert t.worker_cpu_s == 0.0
    assert 0.38 <= t.cpu_s < 0.6


def test_warm_processes_reaches_every_worker():
    import os

    from scipar.measure.parallel import warm_processes

    assert warm_processes(2, os.getpid, ()) == 2
    assert warm_processes(1, os.getpid, ()) == 1
