"""Hostile input never costs a machine, a hang or a report: files that are not regular
files, kernels that never return or crash, unbounded output, configs that cost more than
they say, names that would become paths, text that would become markup.

Whatever could hang or eat memory if it regressed runs in a subprocess with a timeout
and an address-space limit (bounded)."""

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest
import yaml

from helpers import REPO
from scipar.workflow import plan
from scipar.workflow.config import ConfigError, check_config
from scipar.workflow.supervise import RoundError, supervise

SCHEMA = os.path.join(REPO, "config", "schema.yaml")
TESTS = os.path.dirname(os.path.abspath(__file__))


def _limits(memory):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return apply


def bounded(code, timeout=60, memory=4 << 30, **kwargs):
    """Run Python `code` in a subprocess, at most `timeout` s and `memory` bytes."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_limits(memory), cwd=TESTS, **kwargs)


# -- files that are not regular files ---------------------------------------------------


@pytest.fixture
def not_regular(tmp_path):
    """{kind: path}: a FIFO (open() would block) and a symlink to /dev/zero (endless)."""
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    return {"a FIFO": str(tmp_path / "fifo"), "a character device": str(tmp_path / "zero")}


@pytest.mark.parametrize("reader", [
    "from scipar.npz import read_npz; read_npz(PATH, what='dataset')",
    "from scipar.problems.chamfer.datasets import load_clusters; load_clusters(PATH)",
    "from scipar.report.summary import read_timing_csv; read_timing_csv(PATH)",
    "from scipar.report.compare import Run; Run(PATH)",
    "from scipar.files import read_text; read_text(PATH, ValueError)",
])
def test_files_that_are_not_regular_files_are_refused_at_once(not_regular, reader):
    for kind, path in not_regular.items():
        out = bounded(f"PATH = {path!r}\n{reader}", timeout=30, memory=2 << 30)
        assert out.returncode != 0 and f"{path}: {kind}, not a regular file" in out.stderr, out.stderr[-500:]


def test_an_image_that_is_not_a_regular_file_is_refused(not_regular):
    from scipar.npz import DatasetError
    from scipar.problems import get_problem

    images = get_problem("images")
    with pytest.raises(DatasetError, match="a character device, not a regular file"):
        images.load(dict(images=1, size=8, seed=0), {"image0": not_regular["a character device"]})


def test_a_journal_record_is_read_bounded_and_inert(tmp_path):
    from scipar.measure.journal import MAX_RECORD, _read

    (tmp_path / "huge.job").write_text("x" * (2 << 20))
    (tmp_path / "markup.job").write_text('<a href="javascript:alert(document.domain)">results/t.csv</a>')
    os.mkfifo(tmp_path / "fifo.job")
    assert _read(str(tmp_path), "huge.job") == "huge.job"  # too large: its name is all there is
    markup = _read(str(tmp_path), "markup.job")
    assert "<" not in markup and ":" not in markup and len(markup) <= MAX_RECORD
    assert _read(str(tmp_path), "fifo.job") == "fifo.job"  # and it did not block


# -- kernels that never return, crash, or print without end ------------------------------

PLUGIN = '''
import os, time
from scipar.problems import Implementation
from scipar.problems.toy import closed_form

def forever(n):
    while True:
        time.sleep(0.5)

def crash(n):
    import ctypes
    ctypes.string_at(0)

def chatty(n):
    os.write(1, b"x" * (1 << 20))  # 1 MB per call, from C's side of the process
    return closed_form(n, "accumulate")

IMPLEMENTATIONS = [
    Implementation(name, "toy", True, False, False, name, {"accumulate": kernel})
    for name, kernel in (("forever", forever), ("crash", crash), ("chatty", chatty))
]
'''


@pytest.fixture
def round_of(tmp_path):
    """spec(impl, backend, workers): a round's spec for a hostile plug-in implementation."""
    from test_measure import make_inputs

    (tmp_path / "hostile_plugin.py").write_text(PLUGIN)
    inputs = make_inputs(tmp_path, "toy", "accumulate-n20")
    config = dict(plugins=["hostile_plugin"], repeats=2, processes=1, min_sample_s=0.01, max_job_s=2, hard_limit_s=6,
                  studies=dict(toy=dict(type="sequential", problem="toy", impls=["python"], instances=[])))

    def spec(impl, backend="serial", workers=1):
        out = plan.timing_spec(config, plan.Job("toy", "accumulate-n20", impl, backend, workers), inputs,
                               str(tmp_path / f"{impl}.csv"), 1)
        return out | dict(log=str(tmp_path / f"{impl}.log"))

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    return spec, env


def test_a_kernel_that_never_returns_is_ended_at_the_hard_limit(round_of):
    spec, env = round_of
    s = spec("forever")
    start = time.monotonic()
    with pytest.raises(RoundError, match=r"forever \(toy accumulate-n20 serial x1, interpreter default, round 0\) "
                                         r"did not return: .* hard limit of 6 s"):
        supervise(s, env=env)
    assert time.monotonic() - start < 6 + 20
    log = open(s["log"]).read()
    assert "forever" in log and "most recent call first" in log  # faulthandler: where it was
    assert "did not return" in log and not os.path.exists(s["output"])


def test_a_crash_is_named_with_where_it_happened(round_of):
    spec, env = round_of
    s = spec("crash")
    with pytest.raises(RoundError, match="crash .* crashed: SIGSEGV"):
        supervise(s, env=env)
    log = open(s["log"]).read()
    assert "Segmentation fault" in log and "in crash" in log and not os.path.exists(s["output"])


def test_a_jobs_log_is_bounded(round_of):
    from scipar.workflow.supervise import MAX_LOG_BYTES

    spec, env = round_of
    s = spec("chatty")
    supervise(s, env=env)  # several calls of 1 MB each: warm-up, calibration, samples
    size = os.path.getsize(s["log"])
    log = open(s["log"], "rb").read()
    assert size < MAX_LOG_BYTES + 4096 and b"bytes of output cut" in log
    assert log.rstrip().endswith(b"GIL on")  # the end of the round's own report is kept
    assert os.path.exists(s["output"])


def _family(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("target", ["supervisor", "round"])
def test_sigterm_ends_the_rounds_worker_processes(round_of, tmp_path, target):
    spec, env = round_of
    s = spec("forever", "processes", 2)
    code = "import json, sys; from scipar.workflow.supervise import supervise; supervise(json.loads(sys.argv[1]))"
    job = subprocess.Popen([sys.executable, "-c", code, __import__("json").dumps(s)], env=env, cwd=TESTS,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while sum("loky" in " ".join(p.cmdline()) for p in _family(job.pid)) < 2:
        assert time.monotonic() < deadline and job.poll() is None, "the round's workers never started"
        time.sleep(0.2)
    family = _family(job.pid)
    round_process = next(p for p in family if "scipar.workflow.timing" in " ".join(p.cmdline()))
    (job if target == "supervisor" else round_process).send_signal(signal.SIGTERM)
    gone, alive = psutil.wait_procs(family, timeout=15)
    for p in alive:
        p.kill()
    job.kill()
    assert not alive, f"left running after SIGTERM to the {target}: {[p.cmdline()[:3] for p in alive]}"


# -- configs that cost more than they say ------------------------------------------------


def _config(**top):
    with open(os.path.join(REPO, "tests", "tiny.yaml")) as f:
        return yaml.safe_load(f) | top


def test_a_yaml_alias_bomb_is_refused_in_bounded_time_and_memory(tmp_path):
    bomb = "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)},*{chr(97 + k)},*{chr(97 + k)},*{chr(97 + k)},"
        f"*{chr(97 + k)},*{chr(97 + k)},*{chr(97 + k)},*{chr(97 + k)},*{chr(97 + k)}]\n" for k in range(8))
    (tmp_path / "bomb.yaml").write_text(bomb)
    out = bounded(f"""
        import yaml, sys
        sys.path.insert(0, {TESTS!r})
        from test_hostile import _config
        from scipar.workflow.config import check_config
        config = _config(seeds=yaml.safe_load(open({str(tmp_path / 'bomb.yaml')!r}))['i'])
        check_config(config, {SCHEMA!r})
    """, timeout=60, memory=2 << 30)
    assert out.returncode != 0 and "config: seeds" in out.stderr and "expands to more than 100,000 values" in out.stderr
    assert len(out.stderr) < 10_000


def test_a_long_text_a_long_study_name_and_sampling_beyond_the_budget_are_refused():
    with pytest.raises(ConfigError, match="config: studies.toy.impls.* a text of 20,000 characters"):
        config = _config()
        config["studies"]["toy"]["impls"] = ["x" * 20_000]
        check_config(config, SCHEMA)
    config = _config()
    config["studies"]["s" * 300] = config["studies"].pop("toy")
    with pytest.raises(ConfigError, match="is too long"):
        check_config(config, SCHEMA)
    with pytest.raises(ConfigError, match=r"min_sample_s 10 is longer than a round's share of max_job_s \(2 s / 2 "
                                          r"processes = 1 s\)"):
        check_config(_config(min_sample_s=10, max_job_s=2, processes=2), SCHEMA)


# -- names that would become paths -------------------------------------------------------


@pytest.mark.parametrize("name", ["x/../../../../elsewhere", "..", ".hidden", "a" * 129, "a b", "", "-x"])
def test_a_name_that_is_not_a_plain_file_name_never_becomes_a_path(name):
    for make in (lambda: plan.timing_path("toy", name, "python", "serial", 1), lambda: plan.reference_path("toy", name),
                 lambda: plan.dataset_path("chamfer", name), lambda: plan.timing_path(name, "i", "python", "serial", 1)):
        with pytest.raises(plan.UnsafeNameError, match="cannot be part of a file name"):
            make()


def test_an_instance_name_from_a_plugin_is_checked_before_any_job(monkeypatch):
    from scipar.problems import Problem

    class Escaping(Problem):
        name = "escaping"

        def instance_name(self, params):  # a name built from a config string
            return params["where"]

    monkeypatch.setattr(plan, "get_problem", lambda name: Escaping())
    config = dict(seeds=[0], studies=dict(s=dict(type="sequential", problem="escaping", impls=[],
                                                 instances=[dict(where="x/../../../../elsewhere")])))
    with pytest.raises(plan.UnsafeNameError, match="the instance name problem 'escaping' gives"):
        plan.instances(config, "s")


# -- text that would become markup -------------------------------------------------------

HOSTILE = '<a href="javascript:alert(document.domain)">x</a> javascript:alert(1) *bold* `code` |cell| [l](javascript:x)'


def test_text_from_data_is_inert_on_the_report_page_and_in_markdown():
    from docutils.core import publish_string

    from scipar.report import conclusion, escape

    rows = [("what", "x2.0", HOSTILE, "how", "printed", "slides")]
    html = publish_string(conclusion.headline_rst(rows, HOSTILE), writer="html").decode()
    assert "href=\"javascript" not in html and "<a href" not in html.split("<body>")[1].replace("&lt;a href", "")
    assert "<strong>" not in html and "<em>" not in html
    text = escape.markdown(HOSTILE)
    assert "<a" not in text and "](" not in text and "|cell|" not in text and "\n" not in escape.markdown("a\nb")


# -- smaller ----------------------------------------------------------------------------


def test_files_are_written_in_utf8_whatever_the_locale(tmp_path):
    out = bounded(f"""
        import sys
        sys.path.insert(0, {TESTS!r})
        from test_trust import RUN, timings_of
        from scipar.report import write_conclusion
        from scipar.report.summary import add_scaling, summarise
        timings = timings_of(RUN, started_at="2026-12-01T10:00:00+00:00", finished_at="2026-12-01T10:00:05+00:00",
                             min_sample_s=0.1, environment="NUMBA_THREADING_LAYER=omp\\u2013\\u00e9 (kept)")
        summary = add_scaling(summarise(timings), timings)
        summary.to_csv({str(tmp_path / 's.csv')!r}, index=False)
        timings.to_csv({str(tmp_path / 't.csv')!r}, index=False)
        write_conclusion({str(tmp_path / 's.csv')!r}, {str(tmp_path / 't.csv')!r}, {str(tmp_path / 'c.csv')!r},
                         {str(tmp_path / 'c.md')!r})
    """, env=dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONIOENCODING="ascii"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "omp\u2013\u00e9 (kept)" in open(tmp_path / "c.md", encoding="utf-8").read()  # a flag quoting it


def test_a_truncated_summary_is_refused_by_the_conclusion(tmp_path):
    from test_trust import RUN, timings_of

    from scipar.report import write_conclusion
    from scipar.report.summary import TimingFileError, add_scaling, summarise

    timings = timings_of(RUN)
    add_scaling(summarise(timings), timings).head(2).to_csv(tmp_path / "s.csv", index=False)
    timings.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(TimingFileError, match="s.csv has 2 rows for 5 cells in .*t.csv"):
        write_conclusion(tmp_path / "s.csv", tmp_path / "t.csv", tmp_path / "c.csv", tmp_path / "c.md")
    assert not os.path.exists(tmp_path / "c.md")


def test_a_workshop_figure_with_nothing_to_draw_is_skipped_with_a_note():
    from scipar.report import workshop_figures

    studies = dict(strong=dict(type="strong", problem="chamfer", impls=["numba"], backends=["prange"], workers=[1, 2]))
    assert 3 not in workshop_figures.studies(studies)
    assert workshop_figures.skipped(studies) == ["workshop figure 3 not drawn: studies ['strong'] have no 'threads' "
                                                 "in their backends, which it draws"]


def test_unchecked_overlaps_are_not_claimed_as_none():
    import pandas as pd

    from scipar.report.workshop import _overlap_claim

    summary = pd.DataFrame(dict(overlapped_with=["not checked (journal /x: Permission denied)", ""]))
    assert _overlap_claim(summary, []) == "0 found, 1 of 2 cells not checked (their journal could not be written)"
    assert _overlap_claim(summary.iloc[1:], []) == "0"


def test_a_program_that_is_not_python_is_named_as_the_interpreter(tmp_path):
    from scipar.workflow.interpreters import InterpreterError, describe

    with pytest.raises(InterpreterError, match="'/bin/true' is not a Python interpreter scipar can use"):
        describe("/bin/true")
