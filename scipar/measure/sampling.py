"""How a timing job samples: in rounds, each a fresh process at another moment of the
run, so that a cell's interval covers what a rerun would see.

Process start (memory layout, JIT code placement) and the minute a process runs in
move a median by more than one process's samples spread; only samples from several
processes, minutes apart, show it (asv's rounds, pyperf's processes). The workflow runs
each timing job as `processes` round jobs, every cell's first round before any cell's
second (rules/timing.smk), and merges their rows (scipar.workflow.job.merge_rounds).

In each round (`measure`):
1. Warm up: one untimed call (JIT compilation, pool start, first touch), checked.
2. Calibrate: find how many calls (`loops`) make one sample last at least
   `min_sample_s`, as timeit's autorange and pyperf do, so that a sample of a 0.3 ms
   kernel is not mostly timer and scheduler noise. A sample that still comes out
   shorter (the calls sped up) is dropped and taken again with more calls.
3. Take `repeats` samples, fewer (at least one) if the round would otherwise spend
   more than its share of `max_job_s`; check the last answer again.

The interval of the merged samples (scipar.measure.stats) is what the summary reports;
a cell whose interval is wider than ±`target_ci` is flagged. Every sample also records
what the rest of the machine did meanwhile (scipar.measure.noise). The result is a tidy
table, one row per timed sample, times per call (docs/workflow.md, "CSV columns").
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from scipar.measure import noise
from scipar.measure.timer import Timer


@dataclass(frozen=True)
class Sampling:
    """How long and how often a job samples (config keys of the same names)."""

    repeats: int = 3  # samples in each round
    processes: int = 3  # rounds, each in a fresh process
    min_sample_s: float = 0.1  # one sample lasts at least this long
    target_ci: float = 0.05  # a rerun interval of the median wider than +-5 % is flagged
    max_job_s: float = 60.0  # all rounds together, warm-ups included
    hard_limit_s: float | None = None  # a round still running after this is ended (None: see round_limit_s)

    MAX_LOOPS = 10**7
    MAX_PROCESSES = 20  # pyperf's default count of processes
    # A round's hard limit by default: time for imports, JIT compilation and a slow
    # first call, plus ten times its share of max_job_s, which it may pass by a sample.
    HANG_ALLOWANCE_S, HANG_FACTOR = 120.0, 10

    @property
    def round_s(self):
        """The time one round may take."""
        return self.max_job_s / self.processes

    @property
    def round_limit_s(self):
        """The wall-clock time after which a round is ended (scipar.workflow.supervise)."""
        return self.hard_limit_s or self.HANG_ALLOWANCE_S + self.HANG_FACTOR * self.round_s
    # Calibration aims this much above min_sample_s, so that a sample a little faster
    # than the calibration's still lasts long enough.
    AIM = 1.2


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _timed(run, loops):
    """One sample: `loops` calls under one Timer; returns (Timer, last answer)."""
    with Timer() as t:
        for _ in range(loops):
            answer = run(t)
    return t, answer


def _more_loops(loops, wall_s, min_sample_s):
    """The loops that should make a sample of `loops` calls, which took `wall_s`, last
    AIM times the minimum; growing at most tenfold per step, in case these calls were
    unusually fast."""
    wanted = math.ceil(loops * Sampling.AIM * min_sample_s / max(wall_s, 1e-9))
    return min(max(loops + 1, min(wanted, 10 * loops)), Sampling.MAX_LOOPS)


def calibrate(run, min_sample_s):
    """The number of calls that makes one sample last at least AIM * `min_sample_s`."""
    loops = 1
    while loops < Sampling.MAX_LOOPS:
        t, _ = _timed(run, loops)
        if t.wall_s >= Sampling.AIM * min_sample_s:
            break
        loops = _more_loops(loops, t.wall_s, min_sample_s)
    return loops


def measure(run, verify, sampling):
    """One round's samples: warm up with run(timer), calibrate, take `sampling.repeats`
    samples (fewer if the round would pass its share of the budget); verify the answers.

    Returns (rows, facts): per sample, the per-call wall_s, cpu_s and utilisation, the
    loops and the noise seen meanwhile; facts are the round's (compile_s: the warm-up,
    why it stopped, the machine's state, start and end).
    """
    clock = time.perf_counter()
    facts = dict(started_at=_now(), **noise.machine_facts())
    with Timer() as warm:
        answer = run(warm)
    verify(answer)
    loops = calibrate(run, sampling.min_sample_s)
    rows, stop = [], "repeats"
    while len(rows) < sampling.repeats:
        before = noise.Counters.now()
        t, answer = _timed(run, loops)
        after = noise.Counters.now()
        if t.wall_s < sampling.min_sample_s and loops < Sampling.MAX_LOOPS:
            # The calls got faster since the calibration (caches, clocks, pools warming
            # up): this sample is too short to keep; take it again with more calls.
            loops = _more_loops(loops, t.wall_s, sampling.min_sample_s)
            continue
        rows.append(dict(
            loops=loops, wall_s=t.wall_s / loops, cpu_s=t.cpu_s / loops, utilisation=t.utilisation,
            **{f"phase_{phase}_s": s / loops for phase, s in t.phases.items()},
            **noise.sample_noise(before, after, t.cpu_s, t.wall_s),
        ))
        if len(rows) < sampling.repeats and time.perf_counter() - clock + t.wall_s > sampling.round_s:
            stop = "budget"
            break
    verify(answer)
    return rows, facts | dict(compile_s=warm.wall_s, verified=True, round_stop=stop, target_ci=sampling.target_ci,
                              min_sample_s=sampling.min_sample_s, repeats_per_process=sampling.repeats,
                              processes_planned=sampling.processes, max_job_s=sampling.max_job_s, finished_at=_now())
