"""Interpreters other than Snakemake's own: a free-threaded CPython (PEP 703) with its
GIL off, and the same binary with the GIL forced on (PYTHON_GIL=1), the cleanest
comparison of the two.

Snakemake, the tables and the figures run on the default interpreter. A study's
`interpreters` key runs each of its timing jobs under each interpreter named: the
workflow builds the free-threaded interpreter's environment once (a virtual
environment with scipar and the wheels that install for it: build_environment) and
runs the jobs there (rules/interpreters.smk). Every job records its interpreter's
build and GIL state, and fails when the GIL state is not the one its interpreter is
configured for, naming the module that switched the GIL back on (GilWatch).

Standard library only: a timing job imports this before it may import numpy.
"""

import json
import os
import re
import subprocess
import sys
import sysconfig
import warnings

DEFAULT = "default"
FREE_THREADED = "free-threaded"
FREE_THREADED_GIL = "free-threaded-gil"
CONFIG_KEY = "free_threaded_python"
# The free-threaded interpreter's environment, built by the workflow (one for both).
ENVIRONMENT = "results/interpreters/free-threaded"
VENV = f"{ENVIRONMENT}/venv"
FACTS = f"{ENVIRONMENT}/facts.json"

HOW_TO_GET = (
    "give the path of a free-threaded CPython (3.13t or later) as free_threaded_python, "
    "e.g. --config free_threaded_python=/path/to/python3.14t. To get one: `uv python install 3.14t` "
    "(`uv python find 3.14t` prints its path); with conda, an environment from envs/free-threaded.yaml "
    "(conda-forge's python-freethreading); or a build from source: `bash .ci/build-free-threaded-python` "
    "(Debian or Ubuntu, a few minutes; prints the path)"
)


class InterpreterError(ValueError):
    """A configured interpreter that cannot be used, or a job whose GIL state is not
    the one its interpreter is configured for."""


def interpreters(spec):
    """The interpreters a study's jobs run under."""
    return spec.get("interpreters", [DEFAULT])


def needs_another(spec):
    """Whether a study runs under an interpreter other than the default."""
    return set(interpreters(spec)) != {DEFAULT}


def unplanned_studies(config):
    """{study: why} for the studies that need a free-threaded interpreter the config
    does not name: they are not planned, and the conclusion says how to get one."""
    if config.get(CONFIG_KEY):
        return {}
    return {study: f"not run: its interpreters {interpreters(spec)} need {CONFIG_KEY}; {HOW_TO_GET}"
            for study, spec in config["studies"].items() if needs_another(spec)}


def expected_gil(interpreter):
    """Whether the GIL must be on in a job under `interpreter`; None: not configured
    (the default interpreter's jobs record their state and are not checked)."""
    return {DEFAULT: None, FREE_THREADED: False, FREE_THREADED_GIL: True}[interpreter]


def job_environment(interpreter):
    """Shell words that set a job's environment: the free-threaded job must not inherit
    a PYTHON_GIL, which would hide a module that switches the GIL on."""
    return "env PYTHON_GIL=1" if interpreter == FREE_THREADED_GIL else "env -u PYTHON_GIL"


def is_gil_enabled():
    check = getattr(sys, "_is_gil_enabled", None)  # Python 3.13+
    return True if check is None else bool(check())


def gil_state():
    """The CSV columns that prove a job's interpreter."""
    return dict(python_build="free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else "default",
                gil_enabled=is_gil_enabled())


def environment_without_python_gil():
    """This process's environment less PYTHON_GIL, which would hide a module that
    switches the GIL on (PYTHON_GIL=0) or switch it on itself."""
    return {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}


def describe(python):
    """{version, python_build, gil_enabled} of the interpreter at `python` (this file
    run there: it needs only the standard library); InterpreterError if it is no
    free-threaded CPython with its GIL off."""
    try:
        out = subprocess.run([python, "-I", os.path.abspath(__file__)], capture_output=True, text=True, timeout=60,
                             env=environment_without_python_gil())
    except (OSError, subprocess.SubprocessError) as err:
        raise InterpreterError(f"{python!r} cannot be run ({err}); {HOW_TO_GET}") from None
    if out.returncode != 0:
        raise InterpreterError(f"{python!r} failed to start: {out.stderr.strip()[-300:]}; {HOW_TO_GET}")
    try:
        facts = json.loads(out.stdout)
        facts["python_build"], facts["gil_enabled"], facts["version"]
    except (ValueError, TypeError, KeyError):
        shown = out.stdout.strip()[:200] or "nothing"
        raise InterpreterError(f"{python!r} is not a Python interpreter scipar can use: asked to describe itself, "
                               f"it printed {shown!r}; {HOW_TO_GET}") from None
    if facts["python_build"] != "free-threaded" or facts["gil_enabled"]:
        raise InterpreterError(f"{python!r} (Python {facts['version']}) is not a free-threaded build "
                               f"(Py_GIL_DISABLED unset); {HOW_TO_GET}")
    return facts


_GIL_WARNING = re.compile(r"enabled to load module '([^']+)'")


class GilWatch:
    """Notes each module whose import switched the GIL back on: a free-threaded CPython
    says so in a RuntimeWarning (the module did not declare that it runs safely
    without the GIL). Install it before anything is imported."""

    def __init__(self):
        self.modules = []
        self._show = warnings.showwarning
        warnings.showwarning = self._note
        warnings.filterwarnings("always", message="The global interpreter lock", category=RuntimeWarning)

    def _note(self, message, category, filename, lineno, file=None, line=None):
        found = _GIL_WARNING.search(str(message))
        if found:
            self.modules.append(found[1])
        self._show(message, category, filename, lineno, file, line)

    def check(self, interpreter):
        """Raise InterpreterError unless the GIL is in the state `interpreter` is configured for."""
        expected = expected_gil(interpreter)
        enabled = is_gil_enabled()
        if expected is None or enabled == expected:
            return
        if enabled and self.modules:
            why = f"module {self.modules[0]!r} switched it on when imported (it does not declare " \
                  "that it runs without the GIL; the Cython directive is freethreading_compatible)"
        elif enabled:
            why = f"it was on from the start (PYTHON_GIL={os.environ.get('PYTHON_GIL', '')!r}, -X gil)"
        else:
            why = "PYTHON_GIL=1 did not switch it on (is this a free-threaded build?)"
        raise InterpreterError(f"interpreter {interpreter!r}: the GIL is {'on' if enabled else 'off'}, "
                               f"configured {'on' if expected else 'off'}: {why}")


if __name__ == "__main__":  # describe()'s probe, on the interpreter described
    print(json.dumps(dict(version=sys.version.split()[0]) | gil_state()))
