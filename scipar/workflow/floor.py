"""The harness floor: what scipar's own path costs per timed call, kernel aside.

A timed call of a job runs the sampling loop, the Timer, the problem's solve (tasks,
the call of compute, combine) and, in gil studies, `calls` of them; only compute's
kernel is the work. The floor times the same path with compute replaced by a replay
of the parts one real solve returned, on the serial path, so that a cell whose time
per call is not far above it (PLAUSIBLE_FACTOR, scipar.report.plausible) is flagged:
its speedups then measure scipar as much as the kernel. Parallel backends' own
dispatch (a thread pool's hand-off, pickling for processes) is part of what they
cost, and stays in their cells.
"""


from scipar.measure.timer import Timer

MIN_S = 0.02  # each of the floor's samples lasts this long at least
SAMPLES = 3
# A round whose calls take longer than this measures no floor (one more solve to
# record its parts would cost more than it could show): its cells are far above it.
MAX_CALL_S = 0.1


class _Replay:
    """The problem, with compute answering the recorded parts in turn."""

    def __init__(self, problem, parts):
        self._problem, self._parts, self._next = problem, parts, 0

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def compute(self, impl, data, task, workers=1):
        part = self._parts[self._next % len(self._parts)]
        self._next += 1
        return part


def harness_floor(problem, data, impl, calls=1):
    """Seconds per timed call of `calls` serial solves of `impl` on `data` that are not
    compute's: the best of SAMPLES samples, each at least MIN_S long."""
    parts = [problem.compute(impl, data, task) for task in problem.tasks(data, 1)]
    replay = _Replay(problem, parts)
    solve = type(problem).solve

    def run(timer):
        for _ in range(calls):
            answer = solve(replay, data, impl, "serial", 1, timer)
            if problem.phase_times is not None:
                timer.add_phases(problem.phase_times(answer))

    best, loops = float("inf"), 1
    for _ in range(SAMPLES):
        while True:
            with Timer() as t:
                for _ in range(loops):
                    run(t)
            if t.wall_s >= MIN_S:
                break
            loops *= 10
        best = min(best, t.wall_s / loops)
    return best
