"""How a timing job samples: warm up, calibrate, sample until the median is known well enough.

1. Warm up: one untimed call (JIT compilation, pool start, first touch), checked.
2. Calibrate: find how many calls (`loops`) make one sample last at least
   `min_sample_s`, as timeit's autorange and pyperf do, so that a sample of a 0.3 ms
   kernel is not mostly timer and scheduler noise. A sample that still comes out
   shorter (the calls sped up) is dropped and taken again with more calls.
3. Sample: at least `repeats` samples, then more until the bootstrap 95 % interval of
   the median per-call time is within +-`target_ci` of it, or until the job has spent
   `max_job_s`. Every row records why the job stopped.
4. Check the last answer again.

Every sample also records what the rest of the machine did meanwhile (scipar.measure.noise).
The result is a tidy table, one row per timed sample, times per call (README, "CSV
columns").
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from scipar.measure import noise
from scipar.measure.stats import relative_half_width
from scipar.measure.timer import Timer


@dataclass(frozen=True)
class Sampling:
    """How long and how often a job samples (config keys of the same names)."""

    repeats: int = 5  # samples at least
    min_sample_s: float = 0.1  # one sample lasts at least this long
    target_ci: float = 0.05  # stop once the median's interval is within +-5 %
    max_job_s: float = 60.0  # or once the job has run this long, warm-up included

    MAX_LOOPS = 10**7
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
    """Warm up with run(timer), calibrate, then sample adaptively; verify the answers.

    Returns (rows, facts): per sample, the per-call wall_s, cpu_s and utilisation, the
    loops and the noise seen meanwhile; facts are per job (compile_s, samples, why the
    sampling stopped, the machine's state, start and end).
    """
    clock = time.perf_counter()
    facts = dict(started_at=_now(), **noise.machine_facts())
    with Timer() as warm:
        answer = run(warm)
    verify(answer)
    loops = calibrate(run, sampling.min_sample_s)
    rows, walls = [], []
    while True:
        before = noise.Counters.now()
        t, answer = _timed(run, loops)
        after = noise.Counters.now()
        if t.wall_s < sampling.min_sample_s and loops < Sampling.MAX_LOOPS:
            # The calls got faster since the calibration (caches, clocks, pools warming
            # up): this sample is too short to keep; take it again with more calls.
            loops = _more_loops(loops, t.wall_s, sampling.min_sample_s)
            continue
        walls.append(t.wall_s / loops)
        rows.append(dict(
            repeat=len(rows), loops=loops, wall_s=walls[-1], cpu_s=t.cpu_s / loops, utilisation=t.utilisation,
            **{f"phase_{phase}_s": s / loops for phase, s in t.phases.items()},
            **noise.sample_noise(before, after, t.cpu_s, t.wall_s),
        ))
        if len(walls) < sampling.repeats:
            continue
        half_width = relative_half_width(walls)
        if half_width <= sampling.target_ci:
            stop = "interval"
            break
        if time.perf_counter() - clock + t.wall_s > sampling.max_job_s:
            stop = "budget"
            break
    verify(answer)
    facts |= dict(
        compile_s=warm.wall_s, verified=True, samples=len(rows), stop_reason=stop, ci_half_width=half_width,
        target_ci=sampling.target_ci, min_sample_s=sampling.min_sample_s, finished_at=_now(),
    )
    return rows, facts
