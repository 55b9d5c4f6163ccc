"""Your own code measured: the short form, plug-ins from your folder, results that
follow the code, the harness floor, and conclusions for any problem (issue 24)."""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import scipar
from scipar.problems import VerificationError, registry
from scipar.problems.fingerprint import implementation_digest
from scipar.problems.interface import Implementation
from scipar.report import conclusion, plausible
from scipar.workflow import plan
from scipar.workflow.floor import harness_floor

from helpers import REPO

EXAMPLES = os.path.join(REPO, "examples")


# --- the short form -----------------------------------------------------------------

def rows_data(n, scale=2, seed=0):
    return dict(x=np.random.default_rng(seed).random(n), scale=scale)


def doubled(x, scale):
    return x * scale


def doubled_loop(x, scale):
    return np.array([v * scale for v in x])


def doubled_inside(x, scale, workers=1):
    assert workers >= 1
    return x * scale


def declared(**options):
    problem = scipar.declare("short_test", data=rows_data, **options)
    problem.add("numpy", doubled, compiled=True)
    problem.add("loop", doubled_loop)
    problem.add("inside", doubled_inside, parallel_inside=True)
    return problem


def test_the_data_makers_keywords_are_the_instance_and_its_defaults_fill_the_name():
    problem = declared()
    assert list(problem.parameters["properties"]) == ["n", "scale", "seed"]
    assert problem.parameters["required"] == ["n"]
    assert problem.instance_name({"n": 5}) == "n5_scale2_seed0"
    assert problem.instance_params("n5_scale2_seed0") == {"n": 5, "scale": 2, "seed": 0}
    assert problem.with_seed_offset({"n": 5}, 3)["seed"] == 3


def test_a_data_maker_whose_keys_cannot_name_a_file_is_refused():
    with pytest.raises(TypeError, match="integers >= 0"):
        scipar.declare("bad", data=lambda n, mode="fast": n)
    with pytest.raises(TypeError, match="name each parameter"):
        scipar.declare("bad", data=lambda **kw: kw)
    with pytest.raises(ValueError, match="combine 'mean'"):
        scipar.declare("bad", data=rows_data, split=scipar.Split("x", combine="mean"))


@pytest.mark.parametrize("split", [scipar.Split("x"), scipar.Split("x", strided=True),
                                   scipar.Split("x", combine=np.concatenate)])
def test_every_backend_gives_the_reference_answer_through_a_split(split):
    problem = declared(reference="loop", split=split)
    data = problem.load(problem.instance_params("n37_scale3_seed1"), {})
    reference = problem.reference(data)
    for impl in problem.implementations:
        for backend, workers in [("serial", 1), ("threads", 2), ("processes", 2)] + \
                                ([("prange", 2)] if impl.parallel_inside else []):
            problem.check(problem.solve(data, impl, backend, workers), reference, data)
    assert len(problem.tasks(data, 8)) == 8 and problem.tasks(data, 1) == [None]


def test_the_default_check_uses_the_tolerance_and_names_the_worst_element():
    problem = declared(reference=lambda x, scale: x * scale, rtol=0, atol=1e-3)
    data = problem.load({"n": 10}, {})
    reference = problem.reference(data)
    answer = data["x"] * 2
    problem.check(answer + 5e-4, reference, data)
    answer[7] += 0.01
    with pytest.raises(VerificationError, match=r"up to 0.01 \(at \(7,\)"):
        problem.check(answer, reference, data)
    with pytest.raises(VerificationError, match="shape"):
        problem.check(answer[:3], reference, data)


def test_an_explicit_check_replaces_the_default():
    seen = []
    problem = declared(check=lambda answer, expected: seen.append(expected["answer"].shape))
    data = problem.load({"n": 4}, {})
    problem.check(np.zeros(99), problem.reference(data), data)  # wrong, but the check says nothing
    assert seen == [(4,)]


def test_the_reference_is_the_first_implementation_unless_named():
    problem = declared()
    data = problem.load({"n": 3}, {})
    assert np.allclose(problem.reference(data)["answer"], data["x"] * 2)
    with pytest.raises(ValueError, match="reference 'nope' is none of its implementations"):
        declared(reference="nope").reference(data)


def test_a_problem_that_does_not_split_plans_no_threads_or_processes_and_says_why():
    problem = declared()
    registry._PROBLEMS[problem.name] = problem
    for impl in problem.implementations:
        registry._IMPLEMENTATIONS[(problem.name, impl.name)] = impl
    try:
        config = dict(studies=dict(strong=dict(type="strong", problem=problem.name, impls=["numpy", "inside"],
                                               backends=["serial", "threads", "processes", "prange"], workers="auto",
                                               instances=[{"n": 10}]),
                                   gil=dict(type="gil", problem=problem.name, impls=["numpy"], calls=4,
                                            backends=["threads"], workers="auto", instances=[{"n": 10}])))
        for cores in (1, 2, 3, 8, 32):
            notes = []
            jobs = plan.timing_jobs(config, cores, notes)
            strong = {(j.impl, j.backend) for j in jobs if j.study == "strong"}
            assert strong == {("numpy", "serial"), ("inside", "serial"), ("inside", "prange")}
            assert {j.backend for j in jobs if j.study == "gil"} == {"threads"}  # whole solves spread: no split needed
            assert any("numpy under threads is not planned: problem 'short_test' does not say how one solve splits" in n
                       for n in notes)
            assert any("numpy under prange is not planned" in n for n in notes)
            assert max(j.workers for j in jobs) == cores
    finally:
        registry._PROBLEMS.pop(problem.name)
        for impl in problem.implementations:
            registry._IMPLEMENTATIONS.pop((problem.name, impl.name))


def test_an_implementations_backends_bound_where_it_runs():
    problem = declared(split=scipar.Split("x"))
    impl = problem.add("threads-only", doubled, backends=["serial", "threads"])
    assert plan.left_out_because(problem, impl, "processes", "strong") == \
        "implementation 'threads-only' runs under serial, threads only (its backends)"
    assert plan.left_out_because(problem, impl, "threads", "strong") is None


# --- plug-ins from your own folder ----------------------------------------------------

def test_a_plugin_beside_the_config_is_found_and_a_folder_named_scipar_does_not_shadow(tmp_path, monkeypatch):
    (tmp_path / "scipar").mkdir()  # a clone named scipar beside the plug-in
    (tmp_path / "plug_here.py").write_text(textwrap.dedent("""
        import scipar
        from scipar.problems.toy import TOY
        IMPLEMENTATIONS = [scipar.Implementation("here", "toy", False, False, False, "from my folder",
                                                 "scipar.problems.toy.kernels:PYTHON")]
    """))
    monkeypatch.setenv(registry.PLUGIN_PATH, str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    registry.load_plugins(["plug_here"])
    assert scipar.get_implementation("here", "toy").description == "from my folder"


def test_a_missing_plugin_says_where_it_was_looked_for_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(registry.PLUGIN_PATH, str(tmp_path))
    with pytest.raises(registry.PluginError, match=f"no such module in {tmp_path}, nor installed: put nowhere_yet.py"):
        registry.load_plugins(["nowhere_yet"])
    (tmp_path / "just_a_folder").mkdir()
    with pytest.raises(registry.PluginError, match="is a folder without __init__.py"):
        registry.load_plugins(["just_a_folder"])


# --- results follow the code ------------------------------------------------------------

def test_editing_one_kernel_changes_its_digest_only(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "digest_kernels.py"
    helper = tmp_path / "digest_helper.py"
    helper.write_text("def scaled(x):\n    return 2 * x\n")
    source = textwrap.dedent("""
        from digest_helper import scaled

        def _inner(x):
            return x + 1

        def first(x):
            return _inner(x)

        def second(x):
            return scaled(x)
    """)
    module.write_text(source)

    def digests():
        from scipar.problems import fingerprint
        fingerprint._path.cache_clear()
        fingerprint._top_level.cache_clear()
        return [implementation_digest(Implementation(n, "toy", False, False, False, "", f"digest_kernels:{n}"))
                for n in ("first", "second")]

    before = digests()
    module.write_text(source.replace("def second(x):", "def second(x):\n    # a comment is not code"))
    assert digests() == before
    module.write_text(source.replace("return x + 1", "return x + 2"))  # first's helper in its module
    assert digests()[0] != before[0] and digests()[1] == before[1]
    module.write_text(source)
    helper.write_text("def scaled(x):\n    return 3 * x\n")  # second's helper in another module
    assert digests()[0] == before[0] and digests()[1] != before[1]


def test_the_reference_digest_follows_the_data_maker_and_the_reference_implementation(tmp_path, monkeypatch):
    from scipar.problems import fingerprint

    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "ref_kernels.py"
    source = "def make(n):\n    return n\n\ndef exact(n):\n    return n * 2\n\ndef other(n):\n    return n + n\n"
    module.write_text(source)

    def digest():
        fingerprint._path.cache_clear()
        fingerprint._top_level.cache_clear()
        problem = scipar.declare("ref_test", data=__import__("ref_kernels").make,
                                 reference="exact")
        problem.add("exact", "ref_kernels:exact")
        problem.add("other", "ref_kernels:other")
        return fingerprint.problem_digest(problem)

    before = digest()
    module.write_text(source.replace("return n + n", "return 2 * n"))  # not the reference: no change
    assert digest() == before
    module.write_text(source.replace("return n * 2", "return 2 * n"))  # the reference implementation
    assert digest() != before


def test_a_misspelt_plugin_name_gets_a_suggestion(tmp_path, monkeypatch):
    (tmp_path / "smooth.py").write_text("PROBLEMS = []\n")
    monkeypatch.setenv(registry.PLUGIN_PATH, str(tmp_path))
    with pytest.raises(registry.PluginError, match=r"nor installed \(did you mean 'smooth'\?\)"):
        registry.load_plugins(["smoth"])


def test_scipars_own_implementations_have_distinct_digests():
    for kind in ("toy", "chamfer"):
        digests = {name: implementation_digest(impl) for name, impl in scipar.implementations(kind).items()
                   if registry._FROM[kind, name].startswith("plugin 'scipar.")}  # not other tests' plug-ins
        assert "unknown" not in digests.values()
        assert len(set(digests.values())) == len(digests), digests


# --- what is timed ----------------------------------------------------------------------

def test_the_harness_floor_is_a_small_part_of_a_real_solve_and_leaves_the_answer_right():
    problem = declared(split=scipar.Split("x"))
    data = problem.load({"n": 200_000}, {})
    impl = problem.implementations[1]  # the Python loop: milliseconds
    floor = harness_floor(problem, data, impl)
    assert 0 < floor < 1e-3
    start = __import__("time").perf_counter()
    problem.solve(data, impl)
    assert floor < (__import__("time").perf_counter() - start) / 10


def summary_row(**values):
    return dict(workers=1, wall_median_s=1e-5, utilisation_median=1.0, work=1, work_unit="solves",
                backend="serial") | values


def test_a_cell_near_the_floor_and_one_with_fewer_tasks_than_workers_are_flagged():
    cell = pd.DataFrame(dict(floor_s=[2e-6, 2e-6], tasks=[1, 1], compile_s=[0.0, 0.0], jit_loaded=[True, True]))
    flags = plausible.cell_flags(summary_row(), cell)
    assert any(f.startswith("near the harness floor: 1e-05 s per call") for f in flags)
    assert not any("fewer tasks" in f for f in flags)
    flags = plausible.cell_flags(summary_row(backend="threads", workers=2, wall_median_s=1.0), cell)
    assert flags == ["fewer tasks than workers: 1 task on 2 workers, so some had nothing to do "
                     "(a larger instance, or a split into more pieces)"]


# --- a conclusion for any problem -----------------------------------------------------------

def cell(study, study_type, problem, impl, backend, workers, median, flags=""):
    return dict(study=study, study_type=study_type, problem_kind="mine", problem=problem, impl=impl,
                interpreter="default", backend=backend, workers=workers, wall_median_s=median,
                wall_ci_low_s=median * 0.9, wall_ci_high_s=median * 1.1, flags=flags, floor_s=2e-6,
                speedup=np.nan, speedup_ci_low=np.nan, speedup_ci_high=np.nan, efficiency=np.nan,
                efficiency_ci_low=np.nan, efficiency_ci_high=np.nan, speedup_flags=flags, work=1, work_unit="solves")


def test_a_strong_only_run_gets_its_own_table_and_no_workshop_text():
    rows = [cell("strong", "strong", "n100", "numba", "threads", w, 1.0 / w) for w in (1, 2)]
    rows[1] |= dict(speedup=2.0, speedup_ci_low=1.5, speedup_ci_high=2.5, efficiency=1.0, efficiency_ci_low=0.75,
                    efficiency_ci_high=1.25, flags="unstable: CV 20%", speedup_flags="unstable: CV 20%")
    summary = pd.DataFrame(rows)
    facts = dict(jobs=2, samples=6, processes=6, stopped_on_interval=0, stopped_on_budget=0, sampled_s=1.0,
                 job_s=2.0, span_s=3.0, min_sample_s=0.1, target_ci=0.05)
    table = conclusion.implementation_table(summary, pd.DataFrame(columns=["study", "impl", "problem", "wall_s"]))
    text = conclusion.conclusion_markdown(table, [], [], facts, ([], ""), summary)
    assert "## mine: strong (strong scaling), each cell at its own instance" in text
    assert "| n100 | numba | threads | 2 | 0.5 [0.45, 0.55] (flagged) | 2 [1.5, 2.5] (flagged)" in re.sub(" +", " ", text)
    assert "printed" not in text and "no sequential" not in text
    assert "- mine: 2 µs per call" in text


def test_a_sequential_and_a_strong_study_on_two_instances_multiply_no_speedups(tmp_path):
    timings = pd.DataFrame([dict(study=s, problem=p, impl=i, backend=b, workers=w, process=k, wall_s=t)
                            for s, p, i, b, w, t in [("seq", "n10", "slow", "serial", 1, 1.0),
                                                     ("seq", "n10", "fast", "serial", 1, 0.1),
                                                     ("strong", "n99", "fast", "threads", 1, 2.0),
                                                     ("strong", "n99", "fast", "threads", 2, 1.0)]
                            for k in range(3)])
    summary = pd.DataFrame([cell("seq", "sequential", "n10", "slow", "serial", 1, 1.0),
                            cell("seq", "sequential", "n10", "fast", "serial", 1, 0.1, flags="busy machine"),
                            cell("strong", "strong", "n99", "fast", "threads", 1, 2.0),
                            cell("strong", "strong", "n99", "fast", "threads", 2, 1.0) | dict(speedup=2.0)])
    table = conclusion.implementation_table(summary, timings, {"seq": "slow"})
    fast = table[table.impl == "fast"].iloc[0]
    assert fast.best_parallel_instance == "n99" and pd.isna(fast.total_speedup)
    assert fast.sequential_flags.startswith("seq n10 fast serial x1: busy machine")
    shown = conclusion.markdown_table(table)
    assert list(shown[shown.impl == "fast"]["best_parallel"]) == ["threads x2 on n99"]
    assert list(shown[shown.impl == "fast"]["total_speedup [95 % CI]"]) == ["(two instances)"]


# --- through the workflow, from a folder of your own ------------------------------------------

def test_the_mandelbrot_example_runs_from_its_own_folder_and_an_edit_reruns_only_its_jobs(tmp_path):
    folder = tmp_path / "my-bench"
    shutil.copytree(os.path.join(EXAMPLES, "mandelbrot"), folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", registry.PLUGIN_PATH)}
    (folder / "quick.yaml").write_text(textwrap.dedent("""
        plugins: [mandelbrot]
        repeats: 2
        processes: 2
        min_sample_s: 0.005
        max_job_s: 1
        studies:
          sequential: {type: sequential, problem: mandelbrot, baseline: python, instances: [{n: 12}]}
          strong: {type: strong, problem: mandelbrot, impls: [numba, prange], instances: [{n: 60}]}
    """))
    command = [sys.executable, "-m", "snakemake", "-s", os.path.join(REPO, "Snakefile"), "--cores", "2",
               "--configfile", "quick.yaml"]
    quick = []
    out = subprocess.run(command + quick, cwd=folder, env=env, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "numba under prange is not planned: implementation 'numba' has no parallel loop inside" in out.stderr
    assert (folder / "results/tables/conclusion.md").is_file() and (folder / "logs").is_dir()
    assert not os.path.exists(os.path.join(REPO, "results", "timings", "strong", "n60_iterations100"))
    summary = pd.read_csv(folder / "results/tables/summary.csv")
    assert set(summary.impl) == {"python", "numpy", "numba", "prange"} and summary.floor_s.notna().any()
    kernels = folder / "mandelbrot_kernels.py"
    kernels.write_text(kernels.read_text().replace("numba.set_num_threads(workers)",
                                                   "numba.set_num_threads(max(1, workers))"))
    dry = subprocess.run(command + quick + ["-n"], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr[-3000:]
    rerun = [line.split()[-1] for line in dry.stdout.splitlines() if line.strip().startswith("output: results/timings/")]
    assert rerun and all("/prange/" in path for path in rerun), rerun


def test_the_workflow_runs_as_a_snakemake_module_of_your_own_snakefile(tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(os.path.join(EXAMPLES, "pairhist"), folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "Snakefile").write_text(textwrap.dedent(f"""
        configfile: "config.yaml"


        module scipar:
            snakefile:
                "{os.path.join(REPO, 'Snakefile')}"
            config:
                config


        use rule * from scipar
    """))
    out = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "-n"], cwd=folder, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "results/tables/conclusion.md" in out.stdout


# --- figures for any problem ---------------------------------------------------------------

def test_the_sequential_figure_circles_a_flagged_baseline_and_shows_each_time_per_call(monkeypatch):
    from scipar.report import figures

    drawn = []
    monkeypatch.setattr(figures, "save", lambda fig, paths: drawn.append(fig))
    summary = pd.DataFrame([cell("seq", "sequential", "n10", "slow", "serial", 1, 0.5, flags="busy machine"),
                            cell("seq", "sequential", "n10", "fast", "serial", 1, 2e-5)])
    figures.sequential_figure(summary, ["unused.png"], baseline="slow")
    ax = drawn[0].axes[0]
    circles = [c for c in ax.collections if len(c.get_edgecolor()) and tuple(c.get_edgecolor()[0][:3]) == (1, 0, 0)]
    assert len(np.concatenate([c.get_offsets() for c in circles])) == 2  # the flagged baseline, and fast over it
    assert {t.get_text() for t in ax.texts} >= {"500 ms", "20 µs"}
