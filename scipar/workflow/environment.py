"""The free-threaded interpreter's environment: a virtual environment with scipar and
the wheels that install for that interpreter, and the facts a study reports about it
(its version, what installed, which implementations it leaves out and why).

Built by the workflow's checkpoint free_threaded_environment (rules/interpreters.smk)
on Snakemake's interpreter; the probe runs on the free-threaded one:
    python -m scipar.workflow.environment probe '{"toy": ["python", "numba-gil"]}'
"""

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from scipar.atomic import atomic_path
from scipar.workflow.interpreters import (GilWatch, InterpreterError, describe, environment_without_python_gil,
                                         is_gil_enabled)

# Installed on their own: what fails to install leaves out the implementations that
# need it, not the study (Numba has no wheel for CPython 3.13t).
OPTIONAL = ("numba",)


def requirements():
    """scipar's own dependencies (its installed metadata, extras left out), less the
    optional ones."""
    wanted = [Requirement(text) for text in metadata.requires("scipar") or []]
    return [str(r) for r in wanted if r.marker is None and r.name.lower() not in OPTIONAL]


def source_tree():
    """The folder holding scipar's setup.py: the environment installs the same code."""
    root = str(Path(__file__).resolve().parents[2])
    if not os.path.exists(os.path.join(root, "setup.py")):
        raise InterpreterError(f"scipar at {root} is not a source tree (no setup.py): install scipar with "
                               "`pip install -e .` from a clone to measure it under another interpreter")
    return root


def _pip(python, *args, log):
    """Run pip; (ok, its last error line)."""
    out = subprocess.run([python, "-m", "pip", "--disable-pip-version-check", "install", *args],
                         capture_output=True, text=True)
    log.write(out.stdout + out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.startswith("ERROR")]
    return out.returncode == 0, (lines[-1] if lines else out.stderr.strip()[-200:])


def build_environment(python, venv, facts_path, impls, log=sys.stdout):
    """Make `venv` from the interpreter at `python` and write its facts to `facts_path`.

    `impls`: {problem: [implementation names]} the studies run under it; the facts say
    which of them import there ("left_out": {problem: {impl: why}}). InterpreterError
    if the interpreter is not free-threaded or a required package does not install.
    """
    facts = describe(python) | dict(python=python)
    subprocess.run([python, "-m", "venv", "--clear", venv], check=True, capture_output=True)
    own = os.path.join(venv, "bin", "python")
    # Wheels where they exist: a newer release with no wheel for this interpreter yet
    # would otherwise be built from source.
    ok, why = _pip(own, "--prefer-binary", *requirements(), log=log)
    if not ok:
        raise InterpreterError(f"{python}: scipar's dependencies did not install: {why}")
    missing = {}
    for package in OPTIONAL:
        ok, why = _pip(own, "--only-binary", ":all:", package, log=log)
        if not ok:
            missing[package] = f"{package} did not install for Python {facts['version']} (free-threaded): {why}"
    ok, why = _pip(own, "--no-deps", "-e", source_tree(), log=log)
    if not ok:
        raise InterpreterError(f"{python}: scipar did not build for this interpreter: {why}")
    probe = subprocess.run([own, "-m", "scipar.workflow.environment", "probe", json.dumps(impls)],
                           capture_output=True, text=True, env=environment_without_python_gil())
    log.write(probe.stderr)
    if probe.returncode != 0:
        raise InterpreterError(f"{own}: scipar cannot be imported: {probe.stderr.strip()[-300:]}")
    found = json.loads(probe.stdout)
    for problem, reasons in found["left_out"].items():
        for impl, why in reasons.items():
            package = why.removeprefix("ModuleNotFoundError: No module named ").strip("'").split(".")[0]
            reasons[impl] = missing.get(package, why)
    facts |= found | dict(venv_python=own, packages=_versions(own))
    with atomic_path(facts_path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=2)
    return facts


def _versions(python):
    code = ("import json; from importlib import metadata; print(json.dumps({d.metadata['Name']: d.version "
            "for d in metadata.distributions()}))")
    return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout)


def probe(impls):
    """On the environment's interpreter: {"left_out": {problem: {impl: why}}, and the
    GIL's state after importing every kernel, with the modules that switched it on}."""
    watch = GilWatch()
    from scipar.problems import get_implementation

    left_out = {}
    for problem, names in impls.items():
        for name in names:
            impl = get_implementation(name, problem)
            try:
                impl.kernel, impl.solver
            except Exception as err:  # whatever stops the kernel from loading leaves it out
                left_out.setdefault(problem, {})[name] = f"{type(err).__name__}: {err}"
    return dict(left_out=left_out, gil_enabled_after_imports=is_gil_enabled(), gil_enabled_by=watch.modules)


if __name__ == "__main__" and sys.argv[1:2] == ["probe"]:
    print(json.dumps(probe(json.loads(sys.argv[2]))))
