"""The short form of a problem: a data maker and implementation functions, nothing else.

    import scipar

    heat = scipar.declare("heat", data=make_grid, reference="numpy", rtol=1e-9,
                          split=scipar.Split("rows"))
    heat.add("python", step_python)
    heat.add("numba", step_numba, compiled=True, releases_gil=True)
    PROBLEMS, IMPLEMENTATIONS = [heat], heat.implementations

- `data(**params)` makes one instance's data from its parameters: its keyword
  parameters, integers, are the instance's keys (a study's `instances` entries), and
  its defaults their defaults. It must be deterministic (use a `seed` parameter): the
  reference and every timing job make the data again.
- What `data` returns is what every implementation is called with: a dict is passed as
  keyword arguments, a tuple as positional ones, anything else as the one argument.
- The answer is checked against the reference's (an implementation's name, or a
  function called like the implementations) with numpy.allclose(rtol, atol); `check`
  (answer, expected) replaces that check.
- `split` says how one solve splits into tasks (Split); without one, strong, weak and
  size studies run only serial and prange cells, and the plan says why.
- `work(**data)` counts the work of one solve in `work_unit` (default: 1 solve);
  `scale(params, workers)`, the instance of a weak study at `workers`.

Everything the short form cannot say (input files made once and shared by jobs,
phases, a check that needs the data, instance names of its own) is the full
interface: subclass scipar.Problem.
"""

import inspect
from dataclasses import dataclass

import numpy as np

from scipar.problems.interface import Implementation, Problem, VerificationError


@dataclass(frozen=True)
class Split:
    """How one solve splits: the argument `arg` (a keyword of the data's dict, or a
    position in its tuple; None when the data is one argument) cut along `axis` into
    contiguous pieces (`strided`: every pieces-th element, which balances work that
    shrinks along the axis), each computed alone; the parts joined by `combine`:
    "concatenate" (along `axis`), "sum", or a function of the list of parts."""

    arg: object = None
    axis: int = 0
    combine: object = "concatenate"
    strided: bool = False

    def pieces(self, value, count):
        value = np.asarray(value)
        count = max(1, min(count, value.shape[self.axis]))
        if self.strided:
            return [np.take(value, np.arange(k, value.shape[self.axis], count), axis=self.axis) for k in range(count)]
        return np.array_split(value, count, axis=self.axis)

    def join(self, parts):
        if callable(self.combine):
            return self.combine(parts)
        if self.combine == "sum":
            return np.sum(parts, axis=0)
        if self.strided:  # put every element back in its place along the axis
            size = sum(np.shape(p)[self.axis] for p in parts)
            out = np.empty(np.shape(parts[0])[:self.axis] + (size,) + np.shape(parts[0])[self.axis + 1:],
                           dtype=np.result_type(*parts))
            for k, part in enumerate(parts):
                index = [slice(None)] * out.ndim
                index[self.axis] = slice(k, size, len(parts))
                out[tuple(index)] = part
            return out
        return np.concatenate(parts, axis=self.axis)


COMBINES = ("concatenate", "sum")


class Declared(Problem):
    """A problem in the short form (scipar.declare)."""

    def __init__(self, name, data, reference=None, rtol=1e-7, atol=0.0, check=None, split=None,
                 work=None, work_unit="solves", scale=None, description="", max_rate=None):
        if not callable(data):
            raise TypeError(f"problem {name!r}: data must be a function of the instance's parameters, got {data!r}")
        if split is not None and not isinstance(split, Split):
            raise TypeError(f"problem {name!r}: split must be a scipar.Split, got {split!r}")
        if split is not None and not (callable(split.combine) or split.combine in COMBINES):
            raise ValueError(f"problem {name!r}: Split combine {split.combine!r} is none of {COMBINES} nor a function")
        self.name, self.make, self.split = name, data, split
        self.description = description or (inspect.getdoc(data) or name).splitlines()[0]
        self.work_unit, self.max_rate = work_unit, max_rate
        self.reference_of, self.rtol, self.atol, self.own_check, self.work_of = reference, rtol, atol, check, work
        self.scale_of = scale
        self.parameters = _parameters(name, data)
        self.implementations = []

    def add(self, name, function, compiled=False, releases_gil=False, parallel_inside=False, backends=(),
            description="", build_flags=""):
        """Register an implementation: `function` (or "module:attribute") called with the
        data. `compiled` and `releases_gil` are labels of the tables (machine code or
        bytecode; whether threads running it can use several cores); `parallel_inside`:
        it spreads one solve over threads itself, given as its keyword `workers`, and runs
        under backend prange; `backends` bounds the backends it runs under."""
        impl = Implementation(name, self.name, compiled, releases_gil, parallel_inside,
                              description or _summary(function) or name, function,
                              build_flags=build_flags, backends=tuple(backends))
        self.implementations.append(impl)
        return impl

    # -- the interface, from the short form -----------------------------------------

    def instance_name(self, params):
        return super().instance_name(self._with_defaults(params))

    def _with_defaults(self, params):
        defaults = {key: spec["default"] for key, spec in self.parameters["properties"].items() if "default" in spec}
        return defaults | params

    def with_seed_offset(self, params, offset):
        return super().with_seed_offset(self._with_defaults(params), offset)

    def scale(self, params, workers):
        return None if self.scale_of is None else self.scale_of(self._with_defaults(params), workers)

    def load(self, params, paths):
        return self.make(**self._with_defaults(params))

    def _reference(self):
        """The reference: a function, or the implementation it names (default: the first added)."""
        if callable(self.reference_of):
            return self.reference_of
        name = self.reference_of if self.reference_of is not None else \
            (self.implementations[0].name if self.implementations else None)
        impl = next((i for i in self.implementations if i.name == name), None)
        if impl is None:
            raise ValueError(f"problem {self.name!r}: reference {name!r} is none of its implementations: "
                             f"{', '.join(i.name for i in self.implementations) or '(none added)'}")
        return impl

    def reference_sources(self):
        """What the reference depends on (scipar.problems.fingerprint.problem_digest)."""
        reference = self._reference()
        return [self.make, reference.target if isinstance(reference, Implementation) else reference]

    def reference(self, data):
        reference = self._reference()
        answer = self.solve(data, reference) if isinstance(reference, Implementation) else _call(reference, data)
        return _arrays(answer)

    def check(self, answer, reference, data):
        if self.own_check is not None:
            self.own_check(answer, reference)
            return
        got = _arrays(answer)
        if got.keys() != reference.keys():
            raise VerificationError(f"answer has parts {sorted(got)}, the reference {sorted(reference)}")
        for key, expected in reference.items():
            value = got[key]
            if value.shape != expected.shape:
                raise VerificationError(f"{key}: shape {value.shape}, the reference's {expected.shape}")
            if not np.allclose(value, expected, rtol=self.rtol, atol=self.atol, equal_nan=True):
                off = np.abs(value.astype(float) - expected.astype(float))
                worst = tuple(int(i) for i in np.unravel_index(np.nanargmax(off), off.shape)) if off.ndim else ()
                raise VerificationError(
                    f"{key}: differs from the reference by up to {np.nanmax(off):.3g} (at {worst}: {value[worst].item()!r} "
                    f"against {expected[worst].item()!r}), beyond rtol={self.rtol:g}, atol={self.atol:g}: fix the "
                    "implementation, or, if the difference is rounding, loosen rtol or atol in scipar.declare")

    def work(self, data):
        return 1 if self.work_of is None else _call(self.work_of, data)

    @property
    def splits(self):
        return self.split is not None

    def tasks(self, data, pieces):
        if self.split is None or pieces == 1:
            return [None]  # the whole data, uncopied
        return self.split.pieces(_argument(data, self.split.arg), pieces)

    def compute(self, impl, data, task, workers=1):
        if task is not None:
            data = _replaced(data, self.split.arg, task)
        extra = {"workers": workers} if impl.parallel_inside else {}
        return _call(impl.kernel, data, **extra)

    def combine(self, data, parts):
        return parts[0] if len(parts) == 1 else self.split.join(parts)


def declare(name, data, **options):
    """A problem in the short form; see scipar.problems.short."""
    return Declared(name, data, **options)


def _parameters(name, data):
    """The JSON schema of an instance, from the data maker's keyword parameters."""
    properties = {}
    for key, parameter in inspect.signature(data).parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise TypeError(f"problem {name!r}: data({parameter}) cannot be an instance key: name each parameter")
        spec = {"type": "integer", "minimum": 0}
        if parameter.default is not parameter.empty:
            if not isinstance(parameter.default, int) or isinstance(parameter.default, bool) or parameter.default < 0:
                raise TypeError(f"problem {name!r}: data's parameter {key}={parameter.default!r}: instance keys are "
                                "integers >= 0 (they become part of file names)")
            spec["default"] = parameter.default
        properties[key] = spec
    if not properties:
        raise TypeError(f"problem {name!r}: data takes no parameter; give it at least the instance's size")
    required = [k for k, s in properties.items() if "default" not in s]
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def _call(function, data, **extra):
    if isinstance(data, dict):
        return function(**data, **extra)
    if isinstance(data, tuple):
        return function(*data, **extra)
    return function(data, **extra)


def _argument(data, arg):
    return data if arg is None else data[arg]


def _replaced(data, arg, value):
    if arg is None:
        return value
    if isinstance(data, dict):
        return data | {arg: value}
    return tuple(value if k == arg else v for k, v in enumerate(data))


def _arrays(answer):
    """An answer as {name: array}: a dict's items, a tuple's by position, else one."""
    if isinstance(answer, dict):
        return {str(k): np.asarray(v) for k, v in answer.items()}
    if isinstance(answer, tuple):
        return {str(k): np.asarray(v) for k, v in enumerate(answer)}
    return {"answer": np.asarray(answer)}


def _summary(function):
    doc = inspect.getdoc(function) if callable(function) else None
    return doc.splitlines()[0] if doc else ""
