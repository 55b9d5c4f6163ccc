"""What a problem declares, once, so that every study can measure it.

A problem (the toy kernel, the Chamfer matching, a user's own) is a `Problem` object
plus its `Implementation`s. The planner, the timing job, the summary, the figures and
the conclusion only call the methods below; none of them names a problem.

    parameters      JSON schema of one instance (an entry of a study's `instances`)
    instance_name   a path-safe name for an instance's parameters, and back
    datasets        the files an instance reads, made once by `make_dataset`
    load            those files (and the parameters) -> the data the kernels take
    reference       the data -> what `check` compares an answer with (arrays, saved)
    check           raise VerificationError unless an answer is right
    work            the size of the work: the unit of throughput and of weak scaling
    tasks, compute  one solve as independent tasks, and one task computed by one
    combine         implementation; the parts -> the answer
    scale           the instance of p workers in weak scaling (optional)
    phase_times     an answer -> seconds spent in each phase of the work (optional)

The default `solve` spreads the tasks over threads or processes, or hands the whole
solve to an implementation that is parallel inside (backend "prange").
"""

import functools
import importlib
import re
from dataclasses import dataclass

from scipar.measure.parallel import check_workers, parallel_map

# Tasks per worker for threads and processes: enough to even out unequal tasks.
TASKS_PER_WORKER = 4


def pieces(backend, workers):
    """How many tasks one solve is cut into for `workers` of `backend` (at most)."""
    return 1 if backend in ("serial", "prange") else TASKS_PER_WORKER * workers


class VerificationError(AssertionError):
    """An implementation's answer differs from the reference."""


@dataclass(frozen=True)
class Implementation:
    """One way to compute a problem's answer, with the traits the studies need.

    `target` is the kernel, or "module:attribute" naming it so that listing
    implementations (or checking a config) neither imports Numba nor compiles
    anything; what a kernel is called with is the problem's business.
    """

    name: str
    problem: str  # the Problem's name
    compiled: bool  # machine code (Numba, Cython, C inside NumPy/SciPy), not bytecode
    releases_gil: bool  # threads running it can use several cores
    parallel_inside: bool  # can spread one solve over threads itself (backend "prange")
    description: str
    target: object  # the kernel, or "module:attribute"
    solver_target: object = ""  # a solve of its own that skips work, if any (same forms)
    # What the compiler may do to floating point (the CSVs' build_flags): Numba's
    # fastmath set, or the C compiler's flags for Cython; empty when nothing is compiled.
    build_flags: str = ""
    # The backends it may run under; empty: every one that applies (serial; threads and
    # processes when its problem splits a solve or a study spreads whole solves; prange
    # when parallel_inside). The plan leaves the others out and says why.
    backends: tuple = ()

    @property
    def kernel(self):
        return _load(self.target)

    @property
    def solver(self):
        return _load(self.solver_target) if self.solver_target else None


def _load(target):
    return _load_named(target) if isinstance(target, str) else target


@functools.cache  # looked up on every call of a kernel: once is enough
def _load_named(target):
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


class Problem:
    """Subclass this and fill in the methods that raise NotImplementedError."""

    name = ""  # as in config (`problem:`) and the CSVs' problem_kind column
    description = ""
    work_unit = ""  # e.g. "point pairs": what work() counts
    parameters = {}  # JSON schema of one instance; "properties" lists its keys in order
    # Work per second per worker that no implementation doing all the work reaches: a
    # cell beyond it is flagged "too fast to be true" (cached or skipped work). None: no bound.
    max_rate = None

    REQUIRED = ("name", "work_unit", "parameters", "reference", "check", "work", "compute")

    # -- instances and their names -------------------------------------------------

    def instance_name(self, params):
        """e.g. points2000_bins32_seed0: each key of `parameters` with its integer value."""
        return "_".join(f"{key}{params[key]}" for key in self.parameters["properties"])

    def instance_params(self, name):
        """The parameters encoded by instance_name; ValueError if `name` is not one."""
        keys = list(self.parameters["properties"])
        match = re.fullmatch("_".join(rf"{re.escape(k)}(\d+)" for k in keys), name)
        if not match:
            raise ValueError(f"not a {self.name} instance name: {name!r} (expected {self.instance_name(dict.fromkeys(keys, '<n>'))})")
        return {k: int(v) for k, v in zip(keys, match.groups())}

    def with_seed_offset(self, params, offset):
        """The instance run for a config seed offset: `seed` moved by it, if there is one."""
        return params | {"seed": params["seed"] + offset} if "seed" in params else params

    def scale(self, params, workers):
        """The weak-scaling instance for `workers`, whose work is about `workers` times
        that of `params`. None: this problem has no weak scaling."""
        return None

    def footprint(self, params):
        """(bytes of memory, seconds of one solve) an instance needs at least, estimated
        from its parameters alone, so that the config check can refuse sizes beyond the
        machine before any job runs; None: no estimate."""
        return None

    def job_params(self, name, study_type, workers):
        """The parameters a job runs: its instance, grown with its workers in a weak study."""
        params = self.instance_params(name)
        return self.scale(params, workers) if study_type == "weak" else params

    # -- inputs ---------------------------------------------------------------------

    def datasets(self, params):
        """{role: file name}: the files under results/data/<problem>/ an instance reads."""
        return {}

    def make_dataset(self, name, path):
        """Write the dataset file `name` (one of those datasets() gives) to `path`."""
        raise NotImplementedError(f"problem {self.name!r} declares datasets but cannot make them")

    def load(self, params, paths):
        """The data the kernels take, from the parameters and {role: dataset path}."""
        return params

    # Optional: picture(data, title, path) draws an instance (results/figures/problems/).
    picture = None

    # Optional: phase_times(answer) -> {phase: seconds} that one solve spent in each
    # phase (e.g. read, compute, write), summed over workers; the CSVs get phase_<name>_s.
    phase_times = None

    def describe(self, data):
        """Columns of the timing CSV that describe the size of the work (besides `work`)."""
        return {}

    # -- the answer -----------------------------------------------------------------

    def reference(self, data):
        """{name: array}: what check() compares answers with, computed independently."""
        raise NotImplementedError

    def check(self, answer, reference, data):
        """Raise VerificationError unless `answer` is right."""
        raise NotImplementedError

    def work(self, data):
        """The amount of work of one solve, in work_unit."""
        raise NotImplementedError

    # -- computing ------------------------------------------------------------------

    def tasks(self, data, pieces):
        """At most `pieces` independent tasks that make one solve (default: one)."""
        return [None]

    @property
    def splits(self):
        """Whether one solve splits into tasks (tasks() is the problem's own): without,
        threads and processes have one task to run, and strong, weak and size studies
        plan them not."""
        return type(self).tasks is not Problem.tasks

    def compute(self, impl, data, task, workers=1):
        """One task computed by `impl`, with `workers` threads inside it (prange)."""
        raise NotImplementedError

    def combine(self, data, parts):
        """The answer, from the tasks' results in task order."""
        if len(parts) != 1:
            raise NotImplementedError(f"problem {self.name!r} splits into tasks but has no combine()")
        return parts[0]

    def solve(self, data, impl, backend="serial", workers=1, timer=None):
        """One solve by `impl`, spread over `workers` of `backend`. `timer`, a running
        scipar.Timer, receives the CPU time of worker processes."""
        if backend == "serial" and workers == 1:  # the fast path: what a serial call costs beyond its kernel
            return self.combine(data, [self.compute(impl, data, self.tasks(data, 1)[0])])
        check_workers(backend, workers, impl)
        if backend == "prange":
            parts = [self.compute(impl, data, self.tasks(data, 1)[0], workers)]
        else:
            tasks = self.tasks(data, pieces(backend, workers))
            parts = parallel_map(self.compute, [(impl, data, t) for t in tasks], backend, workers, timer)
        return self.combine(data, parts)

    def __repr__(self):
        return f"<problem {self.name}>"
