"""Plug-ins: a problem or implementation from outside scipar, checked like scipar's own."""

import os
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import yaml

from helpers import REPO, copy_workflow
from scipar.problems import PluginError, get_implementation, load_plugins, registry


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A folder on sys.path for plug-in modules; the registry is restored afterwards."""
    saved = [dict(registry._PROBLEMS), dict(registry._IMPLEMENTATIONS), dict(registry._FROM), set(registry._LOADED)]
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for current, before in zip((registry._PROBLEMS, registry._IMPLEMENTATIONS, registry._FROM, registry._LOADED), saved):
        current.clear()
        current.update(before)
    for name in [m for m in sys.modules if m.startswith("plug_")]:
        del sys.modules[name]


def write_plugin(folder, name, body):
    (folder / f"{name}.py").write_text(textwrap.dedent(body))
    return name


def with_header(body):
    return "from scipar import Implementation, Problem\nfrom scipar.problems.toy import TOY\n" + textwrap.dedent(body)


@pytest.mark.parametrize("body, message", [
    ("raise RuntimeError('no licence')", r"plugin 'plug_bad' \(config key plugins\): cannot be imported: RuntimeError: no licence"),
    ("X = 1", r"plugin 'plug_bad' .*: defines neither PROBLEMS nor IMPLEMENTATIONS"),
    (with_header("""
    class Half(Problem):
        name = "half"
        work_unit = "things"
        parameters = {"properties": {"n": {}}}
        def work(self, data):
            return 1
    PROBLEMS = [Half()]
    """), r"plugin 'plug_bad' .*: problem 'half' lacks reference, check, compute"),
    (with_header("PROBLEMS = [TOY]"), r"plugin 'plug_bad' .*: problem 'toy' is already registered by plugin 'scipar.problems.toy' \(scipar\)"),
    (with_header("""
    IMPLEMENTATIONS = [Implementation("numba", "chamfer", True, True, True, "mine", "x:y")]
    """), r"implementation 'numba' of 'chamfer' is already registered by plugin 'scipar.problems.chamfer'"),
    (with_header("""
    IMPLEMENTATIONS = [Implementation("fast", "nbody", True, True, False, "mine", "x:y")]
    """), r"implementation 'fast' is of problem 'nbody', which no plug-in registered"),
    (with_header("PROBLEMS = ['toy']"), r"PROBLEMS holds 'toy', not a scipar Problem object"),
])
def test_a_broken_plugin_is_named_with_what_is_wrong(plugin_dir, body, message):
    write_plugin(plugin_dir, "plug_bad", body)
    with pytest.raises(PluginError, match=message):
        load_plugins(["plug_bad"])


def test_a_plugin_adds_an_implementation_to_a_builtin_problem(plugin_dir):
    write_plugin(plugin_dir, "plug_toy", with_header("""
    IMPLEMENTATIONS = [Implementation("python-again", "toy", False, False, False, "the same loops",
                                      "scipar.problems.toy.kernels:PYTHON")]
    """))
    load_plugins(["plug_toy"])
    load_plugins(["plug_toy"])  # once only: loading again registers nothing twice
    import scipar

    assert scipar.toy_kernel(9, "python-again", "accumulate") == scipar.toy_kernel(9, "python", "accumulate")


def test_an_installed_package_is_found_by_its_entry_point(plugin_dir):
    write_plugin(plugin_dir, "plug_installed", with_header("""
    IMPLEMENTATIONS = [Implementation("installed", "toy", False, False, False, "pure Python, installed",
                                      "scipar.problems.toy.kernels:PYTHON")]
    """))
    dist = plugin_dir / "plug_installed-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plug-installed\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[scipar.plugins]\ninstalled = plug_installed\n")
    load_plugins()
    assert get_implementation("installed", "toy").description == "pure Python, installed"


# --- through the workflow ---------------------------------------------------------

def plugin_workflow(tmp_path):
    """A copy of the workflow and of examples/, and an environment that can import them."""
    workdir = copy_workflow(str(tmp_path))
    shutil.copytree(os.path.join(REPO, "examples"), os.path.join(workdir, "examples"))
    return workdir, os.path.join(workdir, "examples")


def run_with(workdir, pythonpath, *args, check=True):
    env = os.environ | {"PYTHONPATH": pythonpath}
    out = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=workdir, env=env,
                         capture_output=True, text=True, timeout=1800)
    if check and out.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out


QUICK = ["--config", "repeats=3", "min_sample_s=0.01", "max_job_s=2"]


def test_the_example_plugin_runs_every_study_through_the_workflow(tmp_path):
    workdir, examples = plugin_workflow(tmp_path)
    run_with(workdir, "", "--cores", "2", "--configfile", "examples/pairhist/all-studies.yaml", *QUICK)
    with open(os.path.join(REPO, "examples", "pairhist", "all-studies.yaml")) as f:
        studies = yaml.safe_load(f)["studies"]
    timings = pd.read_csv(os.path.join(workdir, "results/tables/timings.csv"))
    assert set(timings.study_type) == {"sequential", "gil", "strong", "weak", "size"}
    assert (timings.problem_kind == "pairhist").all() and timings.verified.all()
    assert (timings.work == timings.calls * timings.points * (timings.points - 1) // 2).all()
    weak = timings[timings.study_type == "weak"].groupby("workers").points.first()
    assert weak[2] == round(weak[1] * 2**0.5)
    for study in studies:
        assert os.path.getsize(os.path.join(workdir, f"results/figures/{study}.png")) > 10_000
    summary = pd.read_csv(os.path.join(workdir, "results/tables/summary.csv"))
    assert summary[summary.study_type == "strong"].speedup.notna().all()
    conclusion = open(os.path.join(workdir, "results/tables/conclusion.md")).read()
    assert "## pairhist: implementations against python" in conclusion
    assert "Differences from the workshop" not in conclusion  # the workshop's defects are about its own problems


def test_scipar_itself_does_not_know_the_example():
    found = subprocess.run(["grep", "-rl", "pairhist", os.path.join(REPO, "scipar")], capture_output=True, text=True)
    assert found.stdout == ""


def test_a_plugin_implementation_with_a_wrong_answer_fails_its_job_naming_it(tmp_path):
    workdir, examples = plugin_workflow(tmp_path)
    write_plugin(tmp_path / "examples" / "pairhist", "plug_wrong", """
        import numpy as np
        from scipar import Implementation

        def off_by_one_bin(points, bins, rows):
            from pairhist_kernels import numpy_rows
            return np.roll(numpy_rows(points, bins, rows), 1)

        IMPLEMENTATIONS = [Implementation("rolled", "pairhist", True, False, False, "a bug", off_by_one_bin)]
    """)
    config = dict(plugins=["pairhist", "plug_wrong"], repeats=3, seeds=[0], studies=dict(
        mine=dict(type="sequential", problem="pairhist", impls=["numpy", "rolled"],
                  instances=[dict(points=200, bins=8, seed=0)])))
    with open(os.path.join(examples, "pairhist", "wrong.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    out = run_with(workdir, "", "--cores", "2", "--configfile", "examples/pairhist/wrong.yaml", "--keep-going", check=False)
    assert out.returncode != 0
    log = open(os.path.join(workdir, "logs/rounds/mine/points200_bins8_seed0/rolled/serial-w1/round0.log")).read()
    assert "VerificationError" in log and "implementation 'rolled' of problem 'pairhist' gave a wrong answer" in log
    # ... and reaches the terminal (the workflow profile's show-failed-logs), not only the log file.
    assert "implementation 'rolled' of problem 'pairhist' gave a wrong answer" in out.stdout + out.stderr
    assert not os.path.exists(os.path.join(workdir, "results/timings/mine/points200_bins8_seed0/rolled/serial-w1.csv"))
    assert os.path.exists(os.path.join(workdir, "results/timings/mine/points200_bins8_seed0/numpy/serial-w1.csv"))


def test_a_plugin_that_cannot_be_imported_stops_the_run_before_any_job(tmp_path):
    workdir, examples = plugin_workflow(tmp_path)
    out = run_with(workdir, examples, "--cores", "2", "--configfile", "examples/pairhist/config.yaml",
                   "--config", "plugins=[pairhist_typo]", check=False)
    assert out.returncode != 0
    assert ("config: plugins: plugin 'pairhist_typo' (config key plugins): no such module in " in out.stdout + out.stderr
            and "put pairhist_typo.py (or its package folder) in the folder you run the workflow in" in out.stderr)
    assert not os.path.exists(os.path.join(workdir, "results"))


def test_lookups_after_the_first_do_not_scan_the_entry_points_again(monkeypatch):
    # A scan costs milliseconds, and timed solves look their implementation up.
    load_plugins()

    def scan(**kwargs):
        raise AssertionError("entry points scanned again")

    monkeypatch.setattr(registry.metadata, "entry_points", scan)
    assert get_implementation("cython-pruned", "chamfer").name == "cython-pruned"
    with pytest.raises(AssertionError, match="scanned again"):
        load_plugins()  # an explicit call still looks again
