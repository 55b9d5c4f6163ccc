"""How sure each number is: intervals that cover a rerun, flags that reach every number
built from a flagged cell, results too good to be true, environments that change what
runs, and tables of one provenance."""

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from scipar.measure import stats
from scipar.workflow.job import time_job, write_csv_atomically
from scipar.measure.layers import user_environment
from scipar.measure.sampling import Sampling
from scipar.problems import Implementation, registry
from scipar.problems.toy import closed_form
from scipar.report import conclusion, plausible, workshop
from scipar.report.summary import add_scaling, collect, summarise
from scipar.workflow import timing
from scipar.workflow.plan import Job, timing_spec
from test_measure import make_inputs

# -- intervals ---------------------------------------------------------------------


def simulated_run(rng, processes=3, repeats=3, between=0.02, within=0.005):
    """A job's samples: each process has its own level (process start, the minute), then
    samples scattered around it."""
    return [np.exp(rng.normal(0, between) + rng.normal(0, within, repeats)) for _ in range(processes)]


def share_outside(runs, interval):
    """The share of ordered pairs of runs in which one run's median lies outside the
    other's interval: the issue's test of an interval against reruns."""
    found = [(np.median(np.concatenate(run)), *interval(run)[1:]) for run in runs]
    pairs = list(itertools.permutations(found, 2))
    return sum(not low <= other <= high for (_, low, high), (other, _, _) in pairs) / len(pairs)


def test_rerun_intervals_hold_across_processes_where_one_process_intervals_do_not():
    rng = np.random.default_rng(7)
    runs = [simulated_run(rng) for _ in range(40)]
    honest = share_outside(runs, stats.median_ci)
    one_process = share_outside(runs, lambda run: stats.bootstrap_median_ci(np.concatenate(run)))
    assert honest <= 0.10
    assert one_process > 0.30  # what scipar reported before: samples of one process, pooled


def test_unequal_processes_and_one_process_are_handled():
    rng = np.random.default_rng(3)
    parts = [rng.normal(1, 0.01, n) for n in (2, 5, 3)]
    median, low, high = stats.median_ci(parts)
    assert median == pytest.approx(np.median(np.concatenate(parts))) and low < median < high
    assert stats.processes(parts) == 3 and stats.processes(np.ones(4)) == 1
    # One process: an interval of that process's samples; one sample: none.
    assert np.isfinite(stats.median_ci(np.array([1.0, 1.01, 0.99]))[1])
    assert np.isnan(stats.median_ci(np.array([1.0]))[1])


def test_a_ratio_carries_both_cells_errors_and_a_product_all_four():
    rng = np.random.default_rng(1)
    a, b, c, d = ([rng.normal(m, 0.02 * m, 3) for _ in range(3)] for m in (10.0, 1.0, 4.0, 2.0))
    one = stats.ratio_ci((a, b))
    both = stats.ratio_ci((a, b), (c, d))
    se = {name: stats.spread(cell)[1] for name, cell in zip("abcd", (a, b, c, d))}
    # log(ratio) +- t(Welch df) sqrt(2) se, se^2 the sum of the cells' se^2.
    reach = np.log(one[2] / one[0])
    assert reach == pytest.approx(stats.t975(stats._combined([(se["a"], 2), (se["b"], 2)])[1]) * np.sqrt(2)
                                  * np.hypot(se["a"], se["b"]))
    assert (both[2] - both[1]) / both[0] > (one[2] - one[1]) / one[0]
    assert both[0] == pytest.approx(one[0] * np.median(np.concatenate(c)) / np.median(np.concatenate(d)))


def test_student_t_quantiles_without_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 2.5, 3, 4, 7, 30):
        assert stats.t975(df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=0.01)
    assert stats.t975(1.5) >= scipy_stats.t.ppf(0.975, 1.5)  # between 1 and 2: wider, never narrower


# -- a summary to build conclusions from --------------------------------------------


def timings_of(cells, **extra):
    """A tidy timing table: cells are (study, study_type, problem, impl, backend, workers,
    [per-process lists of wall times]), every sample at utilisation = workers."""
    rows = []
    for study, study_type, problem, impl, backend, workers, processes in cells:
        repeat = 0
        for process, walls in enumerate(processes):
            for wall in walls:
                rows.append(dict(study=study, study_type=study_type, problem_kind="chamfer", problem=problem,
                                 impl=impl, interpreter="default", backend=backend, workers=workers, process=process,
                                 repeat=repeat, loops=10, wall_s=wall, cpu_s=wall * workers, utilisation=workers,
                                 compile_s=0.1, jit_loaded=True, verified=True, work=100, work_unit="point pairs",
                                 stop_reason="interval", target_ci=0.05, load_before=0.1, others_cores=0.0,
                                 steal_fraction=0.0, cpus_allowed=4, rss_peak_mib=100.0, workers_rss_peak_mib=0.0,
                                 logical_cpus=4, oversubscribed=False, overlapped_with="", max_rate=1e12,
                                 build_flags="numba: fastmath=x" if impl.startswith("numba") else "cython: -O3",
                                 environment="", provenance_differs="") | extra)
                repeat += 1
    return pd.DataFrame(rows)


def steady(level, processes=3):
    return [[level, level * 1.001, level * 0.999] for _ in range(processes)]


SEQ, STRONG = "L50-35-1_R30-23-2", "L200-150-1_R100-300-2"
RUN = [
    ("chamfer", "sequential", SEQ, "python", "serial", 1, steady(8.0)),
    ("chamfer", "sequential", SEQ, "numba", "serial", 1, steady(0.02)),
    ("chamfer", "sequential", SEQ, "cython", "serial", 1, steady(0.015)),
    ("strong", "strong", STRONG, "cython", "threads", 1, steady(1.0)),
    ("strong", "strong", STRONG, "cython", "threads", 2, steady(0.55)),
]


def summary_of(timings):
    return add_scaling(summarise(timings), timings)


def test_a_flagged_cell_reaches_every_number_built_from_it():
    # The cython sequential cell ran beside a CPU hog: busy.
    timings = timings_of(RUN)
    busy = (timings.study == "chamfer") & (timings.impl == "cython")
    timings.loc[busy, "others_cores"] = 0.9
    summary = summary_of(timings)
    rows, _ = workshop.headline(summary, timings)
    by = {row[0]: row for row in rows}
    numba_cython = by["Numba against Cython, one kernel, equal flags"]
    assert "busy machine" in numba_cython[2] and "chamfer L50-35-1_R30-23-2 cython serial x1" in numba_cython[2]
    assert workshop.marked_rows([numba_cython])[0][1].endswith("(flagged)")
    # The total speedup uses cython's sequential cell too; the sequential speedup (numba is
    # the best compiled here? no: cython is faster) uses cython's cell as well.
    assert "busy machine" in by["total speedup at 2 workers"][2]
    assert "busy machine" in by["sequential speedup"][2]
    assert "busy" not in by["parallel efficiency per worker"][2]  # the strong cells are quiet
    text = conclusion.conclusion_markdown(conclusion.implementation_table(summary, timings), [], [],
                                          conclusion.sampling_facts(timings.assign(started_at="2026-01-01T00:00:00",
                                                                                   finished_at="2026-01-01T00:01:00",
                                                                                   min_sample_s=0.1)),
                                          (rows, ""))
    assert "(flagged)" in text
    table = conclusion.implementation_table(summary, timings)
    cython = table[table.impl == "cython"].iloc[0]
    assert "busy machine" in cython.sequential_flags and "busy machine" in cython.total_flags
    assert cython.best_parallel_flags == ""  # its strong cells are quiet
    # The python row's speedup is against itself: its own cell is quiet.
    assert table[table.impl == "python"].iloc[0].sequential_flags == ""


def test_a_flagged_one_worker_cell_reaches_the_speedups_over_it():
    timings = timings_of(RUN)
    one = (timings.study == "strong") & (timings.workers == 1)
    timings.loc[one, "others_cores"] = 0.9
    summary = summary_of(timings).set_index(["study", "workers"])
    assert summary.loc[("strong", 2), "flags"] == ""
    assert "its 1-worker cell: busy machine" in summary.loc[("strong", 2), "speedup_flags"]


# -- plausibility ---------------------------------------------------------------------


def flags_of_cell(timings):
    return summarise(timings).iloc[0]["flags"]


def test_work_beyond_the_problems_bound_is_too_fast_to_be_true():
    cells = [("s", "sequential", "P", "memo", "serial", 1, steady(1e-9))]  # 1e11 pairs/s against 1e10
    assert "too fast to be true" in flags_of_cell(timings_of(cells, max_rate=1e10))
    assert "too fast" not in flags_of_cell(timings_of(cells, max_rate=1e12))


def test_a_slow_first_call_without_a_jit_is_too_fast_to_be_true():
    cells = [("s", "sequential", "P", "memo", "serial", 1, steady(1e-4))]
    assert "the first call took 0.5 s" in flags_of_cell(timings_of(cells, compile_s=0.5, jit_loaded=False))
    assert "first call" not in flags_of_cell(timings_of(cells, compile_s=0.5, jit_loaded=True))  # Numba compiled


def test_cpu_beyond_the_workers_and_a_parallel_cell_on_one_thread_are_flagged():
    hidden = timings_of([("s", "sequential", "P", "numpy", "serial", 1, steady(0.1))], utilisation=1.65)
    assert "uses more CPUs than its workers: utilisation 1.65 with 1 worker" in flags_of_cell(hidden)
    capped = timings_of([("s", "strong", "P", "cython", "prange", 2, steady(0.1))], utilisation=1.0)
    assert "ran on one thread: utilisation 1.00 with 2 threads" in flags_of_cell(capped)
    fine = timings_of([("s", "strong", "P", "cython", "prange", 2, steady(0.1))], utilisation=1.9)
    assert flags_of_cell(fine) == ""


def test_an_environment_kept_is_flagged_and_one_reset_is_not():
    kept = timings_of([("s", "sequential", "P", "numba", "serial", 1, steady(0.1))],
                      environment="NUMBA_DISABLE_JIT=1 (reset); NUMBA_THREADING_LAYER=omp (kept)")
    flags = flags_of_cell(kept)
    assert "environment: NUMBA_THREADING_LAYER=omp (kept)" in flags and "DISABLE_JIT" not in flags


def test_numba_disable_jit_and_omp_thread_limit_are_recorded_and_reset():
    code = ("import os; from scipar.measure.layers import pin_threads, user_environment; "
            "env = user_environment(); pin_threads(2, 'prange'); import numba; "
            "print(env); print(numba.config.DISABLE_JIT, os.environ.get('OMP_THREAD_LIMIT'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=os.environ | {"NUMBA_DISABLE_JIT": "1", "OMP_THREAD_LIMIT": "1"})
    recorded, state = out.stdout.splitlines()
    assert recorded == "NUMBA_DISABLE_JIT=1 (reset); OMP_THREAD_LIMIT=1 (reset)"
    assert state == "0 None"
    assert user_environment({"NUMBA_THREADING_LAYER": "tbb"}) == "NUMBA_THREADING_LAYER=tbb (kept)"


# -- real jobs: fresh processes, hidden threads, a memoizing implementation ------------


def test_rounds_in_fresh_processes_merge_and_record_the_environment_they_reset(tmp_path):
    """A timing job's rounds, each run as the free-threaded rule runs one (a fresh
    process), with the JIT switched off in the user's shell; then merged as rule time
    merges them. Numba compiles all the same."""
    inputs = make_inputs(tmp_path, "toy", "accumulate-n40")
    config = {"studies": {"toy": {"type": "sequential", "problem": "toy"}}, "repeats": 2, "processes": 3,
              "min_sample_s": 0.01, "max_job_s": 60}
    job = Job("toy", "accumulate-n40", "numba-nogil", "serial", 1)
    rounds = []
    for k in range(3):
        rounds.append(str(tmp_path / f"round{k}.csv"))
        spec = timing_spec(config, job, inputs, rounds[-1], 1, k) | {"log": str(tmp_path / f"round{k}.log")}
        subprocess.run([sys.executable, "-m", "scipar.workflow.timing", json.dumps(spec)], check=True, timeout=300,
                       env=os.environ | {"NUMBA_DISABLE_JIT": "1", "OMP_THREAD_LIMIT": "1"})
    timing.merge(rounds, str(tmp_path / "job.csv"))
    table = pd.read_csv(tmp_path / "job.csv")
    assert list(table.process) == [0, 0, 1, 1, 2, 2] and list(table.repeat) == list(range(6))
    assert (table.processes == 3).all() and (table.samples == 6).all() and table.verified.all()
    assert "round_stop" not in table.columns and (table.stop_reason == "repeats").all()
    assert (table.environment == "NUMBA_DISABLE_JIT=1 (reset); OMP_THREAD_LIMIT=1 (reset)").all()
    assert table.wall_s.median() < 2e-4  # compiled: interpreted, 91,390 iterations take ~20 ms


@pytest.fixture
def own_impl():
    """register(impl): an implementation of the toy problem for one test."""
    added = []

    def register(impl):
        registry._register_implementation(impl, "tests")
        added.append((impl.problem, impl.name))

    yield register
    for key in added:
        registry._IMPLEMENTATIONS.pop(key, None)
        registry._FROM.pop(key, None)


_CACHE = {}


def memoized(n):
    """The toy kernel, computed once per n by the Python loops, then remembered."""
    if n not in _CACHE:
        from scipar.problems.toy.kernels import PYTHON

        _CACHE[n] = PYTHON["accumulate"](n)
    return _CACHE[n]


_NOISE = os.urandom(1 << 21)


def hidden_threads(n):
    """The right answer, after two threads compressed data (zlib releases the GIL)."""
    import threading
    import zlib

    threads = [threading.Thread(target=zlib.compress, args=(_NOISE,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return closed_form(n, "accumulate")


def time_toy_impl(tmp_path, name, n, sampling):
    inputs = make_inputs(tmp_path, "toy", f"accumulate-n{n}")
    table = time_job(Job("toy", f"accumulate-n{n}", name, "serial", 1), "sequential", "toy", 1, sampling, inputs)
    return summarise(table).iloc[0]


def test_a_memoizing_implementation_is_too_fast_to_be_true(tmp_path, own_impl):
    own_impl(Implementation("memo", "toy", False, False, False, "remembers its answer",
                            {"accumulate": memoized}))
    _CACHE.clear()
    cell = time_toy_impl(tmp_path, "memo", 60, Sampling(repeats=2, processes=2, min_sample_s=0.01, max_job_s=10))
    assert "too fast to be true" in cell["flags"] and "cached or skipped work" in cell["flags"]


def test_an_implementation_with_hidden_threads_uses_more_cpus_than_its_workers(tmp_path, own_impl):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("hidden threads need two CPUs to show")
    own_impl(Implementation("hidden", "toy", True, False, False, "threads inside", {"accumulate": hidden_threads}))
    cell = time_toy_impl(tmp_path, "hidden", 10, Sampling(repeats=2, processes=2, min_sample_s=0.05, max_job_s=10))
    assert cell.utilisation_median > 1.3 and "uses more CPUs than its workers" in cell["flags"]


# -- provenance -----------------------------------------------------------------------


def test_a_csv_from_another_host_is_refused_or_flagged(tmp_path):
    paths = []
    for impl in ("python", "numba", "cython"):
        table = timings_of([("chamfer", "sequential", SEQ, impl, "serial", 1, steady(0.02))])
        table = table.assign(host="vm", cpu_model="cpu", logical_cpus=4, python="3.11.7", numpy="2", numba="0.6",
                             cython="3", scipar_version="0.1.0", git_commit="abc", min_sample_s=0.1,
                             repeats_per_process=3, processes_planned=3, max_job_s=20, samples=len(table))
        paths.append(tmp_path / f"{impl}.csv")
        write_csv_atomically(table.drop(columns=["provenance_differs"]), paths[-1])
    assert len(collect(paths)) == 27
    other = pd.read_csv(paths[2]).assign(host="laptop", git_commit="def")
    write_csv_atomically(other, paths[2])
    with pytest.raises(plausible.ProvenanceError, match=r"cython.csv: host laptop \(the run's: vm\), git_commit def"):
        collect(paths)
    # Another interpreter's CSV has its own Python and wheels: not a different provenance.
    other_python = pd.read_csv(paths[1]).assign(interpreter="free-threaded", python="3.13.5", numba="")
    write_csv_atomically(other_python, paths[1])
    with pytest.raises(plausible.ProvenanceError, match="1 of 3 timing CSVs"):
        collect(paths)
    kept = collect(paths, mixed_provenance=True)
    flags = summarise(kept).set_index("impl")["flags"]
    assert flags["cython"].startswith("mixed provenance: host laptop") and "mixed" not in flags["numba"]
