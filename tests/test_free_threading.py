"""Free-threaded Python (docs/free-threading.md): interpreters as configuration,
the GIL check of every job, and the study end to end.

The tests marked `needs_free_threaded` run a free-threaded CPython named by
SCIPAR_FREE_THREADED_PYTHON; CI builds one (.ci/build-free-threaded-python) and sets
SCIPAR_REQUIRE_FREE_THREADED=1, so that there they fail instead of skipping.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pandas as pd
import pytest

from helpers import REPO, copy_workflow, snakemake
from scipar.workflow import interpreters, plan
from scipar.workflow.config import ConfigError, check_config

FREE_THREADED = os.environ.get("SCIPAR_FREE_THREADED_PYTHON")
SCHEMA = os.path.join(REPO, "config", "schema.yaml")


def needs_free_threaded():
    if FREE_THREADED:
        return FREE_THREADED
    if os.environ.get("SCIPAR_REQUIRE_FREE_THREADED"):
        pytest.fail("SCIPAR_REQUIRE_FREE_THREADED is set but SCIPAR_FREE_THREADED_PYTHON is not")
    pytest.skip("no free-threaded CPython: set SCIPAR_FREE_THREADED_PYTHON (bash .ci/build-free-threaded-python)")


def study(**extra):
    return dict(type="gil", problem="toy", impls=["python", "numba-nogil"], calls=2, backends=["threads"],
                workers=[1, 2], instances=[{"variant": "accumulate", "n": 10}], **extra)


def test_each_job_runs_under_each_interpreter_with_its_own_path():
    config = dict(repeats=3, seeds=[0], free_threaded_python="/any/python3.13t",
                  studies={"ft": study(interpreters=["default", "free-threaded", "free-threaded-gil"])})
    jobs = plan.timing_jobs(config)
    assert len(jobs) == 2 * 2 * 3 and len({job.path for job in jobs}) == len(jobs)
    paths = {job.path for job in jobs if job.impl == "python" and job.workers == 2}
    assert paths == {f"results/timings/ft/accumulate-n10/python/threads-w2{suffix}.csv"
                     for suffix in ("", "-free-threaded", "-free-threaded-gil")}


def test_left_out_implementations_drop_only_their_jobs_under_that_interpreter():
    config = dict(repeats=3, seeds=[0], free_threaded_python="/any/python3.13t",
                  studies={"ft": study(interpreters=["default", "free-threaded"])})
    jobs = plan.timing_jobs(config)
    assert plan.free_threaded_impls(config, jobs) == {"toy": ["python", "numba-nogil"]}
    kept = plan.without_left_out(config, jobs, {"toy": {"numba-nogil": "numba did not install"}})
    assert {(job.impl, job.interpreter) for job in kept} == {
        ("python", "default"), ("python", "free-threaded"), ("numba-nogil", "default")}
    spec = plan.timing_spec(config, kept[-1], {"reference": "r.npz"}, kept[-1].path, 2, 1)
    assert json.loads(json.dumps(spec))["job"]["interpreter"] == kept[-1].interpreter and spec["round"] == 1
    assert spec["log"] == "logs/" + kept[-1].path.removeprefix("results/").removesuffix(".csv") + ".log"


def test_a_study_needing_a_free_threaded_interpreter_is_not_planned_without_one():
    config = dict(repeats=3, seeds=[0], studies={"ft": study(interpreters=["default", "free-threaded"]),
                                                  "plain": study()})
    assert {job.study for job in plan.timing_jobs(config)} == {"plain"}
    why = interpreters.unplanned_studies(config)["ft"]
    assert "free_threaded_python" in why and "uv python install 3.14t" in why and "python-freethreading" in why


def test_a_free_threaded_python_that_is_not_one_stops_the_run_naming_the_key():
    config = dict(repeats=3, seeds=[0], studies={"ft": study(interpreters=["free-threaded"])})
    gil_build = sys.executable if not sysconfig.get_config_var("Py_GIL_DISABLED") else "/bin/true"
    with pytest.raises(ConfigError, match=r"config: free_threaded_python: .*(not a free-threaded build|failed)"):
        check_config(config | dict(free_threaded_python=gil_build), SCHEMA)
    with pytest.raises(ConfigError, match="config: free_threaded_python: '/no/such/python' cannot be run"):
        check_config(config | dict(free_threaded_python="/no/such/python"), SCHEMA)
    with pytest.raises(ConfigError, match=r"studies.ft.interpreters\[0\]"):
        check_config(dict(repeats=3, seeds=[0], studies={"ft": study(interpreters=["pypy"])}), SCHEMA)


@pytest.mark.skipif(bool(sysconfig.get_config_var("Py_GIL_DISABLED")), reason="needs a build with a GIL")
def test_a_job_configured_free_threaded_fails_under_a_gil():
    watch = interpreters.GilWatch()
    watch.check(interpreters.DEFAULT)  # not configured: recorded, not checked
    watch.check(interpreters.FREE_THREADED_GIL)
    with pytest.raises(interpreters.InterpreterError, match="the GIL is on, configured off: it was on from the start"):
        watch.check(interpreters.FREE_THREADED)


LEGACY_MODULE = r"""
#include <Python.h>
/* Single-phase initialisation, no Py_mod_gil slot: importing it switches the GIL on. */
static struct PyModuleDef legacy = {PyModuleDef_HEAD_INIT, "legacy", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_legacy(void) { return PyModule_Create(&legacy); }
"""


def build_legacy_module(python, folder):
    """A C extension that does not declare it runs without the GIL, and a plug-in that imports it."""
    config = json.loads(subprocess.run(
        [python, "-c", "import json, sysconfig; print(json.dumps({k: sysconfig.get_config_var(k) "
         "for k in ('INCLUDEPY', 'EXT_SUFFIX')}))"], capture_output=True, text=True, check=True).stdout)
    source = os.path.join(folder, "legacy.c")
    with open(source, "w") as f:
        f.write(LEGACY_MODULE)
    subprocess.run(["gcc", "-shared", "-fPIC", f"-I{config['INCLUDEPY']}", source, "-o",
                    os.path.join(folder, "legacy" + config["EXT_SUFFIX"])], check=True)
    with open(os.path.join(folder, "legacyplugin.py"), "w") as f:
        f.write("import legacy  # noqa: F401\n\nIMPLEMENTATIONS = []\n")


@pytest.fixture(scope="module")
def free_threaded_run(tmp_path_factory):
    """The free-threading studies of tests/free_threaded.yaml, end to end."""
    python = needs_free_threaded()
    workdir = copy_workflow(str(tmp_path_factory.mktemp("free-threaded")))
    shutil.copy(os.path.join(REPO, "tests", "free_threaded.yaml"), os.path.join(workdir, "config"))
    snakemake(workdir, "--cores", "2", "--configfile", "config/free_threaded.yaml",
              "--config", f"free_threaded_python={python}")
    return workdir


def test_the_study_runs_under_three_interpreters_and_says_whether_the_workshop_holds(free_threaded_run):
    timings = pd.read_csv(os.path.join(free_threaded_run, "results/tables/timings.csv"))
    builds = timings.groupby("interpreter")[["python_build", "gil_enabled"]].agg(set)
    assert builds.loc["default"].python_build == {"default"} and builds.loc["default"].gil_enabled == {True}
    assert builds.loc["free-threaded"].python_build == {"free-threaded"}
    assert builds.loc["free-threaded"].gil_enabled == {False}
    assert builds.loc["free-threaded-gil"].gil_enabled == {True}
    with open(os.path.join(free_threaded_run, "results/interpreters/free-threaded/facts.json")) as f:
        facts = json.load(f)
    assert facts["python_build"] == "free-threaded" and not facts["gil_enabled_after_imports"]
    # Numba has no wheel for CPython 3.13t: its implementation is left out, and why said.
    left_out = facts["left_out"].get("toy", {})
    ran = set(timings[(timings.interpreter == "free-threaded") & (timings.problem_kind == "toy")].impl)
    assert ran | set(left_out) == {"python", "python-local", "cython", "numba-nogil"} and not ran & set(left_out)
    assert {"python", "python-local", "cython"} <= ran
    with open(os.path.join(free_threaded_run, "results/tables/conclusion.md")) as f:
        conclusion = f.read()
    for kind in ("toy", "chamfer"):
        row = next(line for line in conclusion.splitlines() if line.startswith(f"| {kind}: pure Python on 2 threads"))
        assert "free-threaded (GIL off) x" in row and "PYTHON_GIL=1 x" in row and "one thread free-threaded / default" in row
        assert any(f"the workshop's sentence {verdict} there" in row for verdict in ("still holds", "no longer holds", "undecided"))
    # The toy loop in two spellings, each under each interpreter, and what they say.
    toy = next(line for line in conclusion.splitlines() if line.startswith("| toy: pure Python on 2 threads"))
    assert "python free-threaded (GIL off) x" in toy and "python-local free-threaded (GIL off) x" in toy
    assert "threads contend for its constant" in toy or "the two spellings do not differ beyond their intervals" in toy
    for impl, why in left_out.items():
        assert f"- left out under the free-threaded interpreter: toy {impl}: {why}" in conclusion
    for name in ("freethreading-toy", "freethreading-chamfer"):
        assert os.path.getsize(os.path.join(free_threaded_run, f"results/figures/{name}.png")) > 10_000


def test_a_job_fails_naming_the_module_that_switched_the_gil_on(free_threaded_run, tmp_path):
    """The study's own timing job, rerun with a plug-in that imports a C extension
    without the free-threading declaration: it fails, names the module, writes no CSV."""
    venv_python = os.path.join(free_threaded_run, interpreters.VENV, "bin", "python")
    build_legacy_module(venv_python, str(tmp_path))
    job = dict(study="freethreading-toy", problem="accumulate-n12", impl="python", backend="threads", workers=1,
               interpreter=interpreters.FREE_THREADED)
    output = str(tmp_path / "out.csv")
    spec = dict(job=job, study=dict(study_type="gil", problem_name="toy", calls=2), sampling=dict(repeats=3),
                inputs=dict(reference=f"results/reference/toy/{job['problem']}.npz"), threads=1, round=0, output=output,
                log=str(tmp_path / "job.log"), plugins=["legacyplugin"])
    env = interpreters.environment_without_python_gil() | dict(PYTHONPATH=str(tmp_path))
    out = subprocess.run([venv_python, "-m", "scipar.workflow.timing", json.dumps(spec)], cwd=free_threaded_run,
                         env=env, capture_output=True, text=True, timeout=300)
    with open(tmp_path / "job.log") as f:
        log = f.read()
    assert out.returncode != 0 and not os.path.exists(output)
    assert "the GIL is on, configured off: module 'legacy' switched it on" in log
    # Under PYTHON_GIL=1 the same job is what its interpreter is configured for.
    spec["job"] = job | dict(interpreter=interpreters.FREE_THREADED_GIL)
    out = subprocess.run([venv_python, "-m", "scipar.workflow.timing", json.dumps(spec)], cwd=free_threaded_run,
                         env=env | dict(PYTHON_GIL="1"), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and pd.read_csv(output).gil_enabled.all()


@pytest.mark.parametrize("interpreter", ["default", "free-threaded"])
def test_the_contention_diagnostic_runs_its_three_spellings_and_checks_them(interpreter):
    python = sys.executable if interpreter == "default" else needs_free_threaded()
    script = os.path.join(REPO, "scipar", "problems", "toy", "contention.py")
    out = subprocess.run([python, "-s", script, "12"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for variant in ("imported ** 0.5", "imported local sqrt", "__main__ ** 0.5"):
        assert variant in out.stdout
    assert "results agree to 1e-12: True" in out.stdout
    assert ("free-threaded build, GIL off" if interpreter == "free-threaded" else "GIL on") in out.stdout
