"""Damaged or absurd input stops the step that reads it, naming the file or the key;
result files are written so that collaborators can read them and nothing is left half done."""

import os
import stat

import numpy as np
import pytest

from scipar.atomic import atomic_path
from scipar.measure.job import time_job, write_csv_atomically
from scipar.measure.sampling import Sampling
from scipar.report.summary import TimingFileError, collect
from scipar.workflow.plan import Job, timing_path
from test_measure import make_inputs


@pytest.fixture(scope="module")
def timing_csv(tmp_path_factory):
    """A real timing CSV of a tiny toy job, at the path its configuration names."""
    folder = tmp_path_factory.mktemp("job")
    job = Job("toy", "accumulate-n12", "python", "serial", 1)
    table = time_job(job, "sequential", "toy", 1, Sampling(repeats=4, min_sample_s=0.001, max_job_s=2),
                     make_inputs(folder, "toy", "accumulate-n12"))
    path = str(folder / timing_path(*[getattr(job, f) for f in ("study", "problem", "impl", "backend", "workers")]))
    write_csv_atomically(table, path)
    return path, open(path).read()


def _damaged(tmp_path, timing_csv, edit):
    path, text = timing_csv
    damaged = str(tmp_path / os.path.relpath(path, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(path))))))
    os.makedirs(os.path.dirname(damaged), exist_ok=True)
    with open(damaged, "w") as f:
        f.write(edit(text))
    return damaged


def _cut_inside_wall_s(text):
    header, *rows = text.splitlines(keepends=True)
    at = header.split(",").index("wall_s")
    last = rows[-1].split(",")
    return header + "".join(rows[:-1]) + ",".join(last[:at] + [last[at][:3]])


@pytest.mark.parametrize("edit, message", [
    (lambda text: text[: text.rindex("\n", 0, len(text) - 1) + 40], "sample rows, but the job recorded|not a number"),
    (_cut_inside_wall_s, "not a number|sample rows|not a readable CSV"),
    (lambda text: "lorem ipsum dolor\nsit amet, consectetur\n\x00\x01 garbage\n", "not a timing CSV|not a readable CSV"),
    (lambda text: "", "not a readable CSV"),
    (lambda text: text.replace(",python,", ",numba,"), "column impl holds 'numba', its path says 'python'"),
])
def test_damaged_timing_csvs_are_refused_naming_the_file(tmp_path, timing_csv, edit, message):
    assert len(collect([timing_csv[0]])) >= 4  # the undamaged file reads
    damaged = _damaged(tmp_path, timing_csv, edit)
    with pytest.raises(TimingFileError, match=message) as err:
        collect([timing_csv[0], damaged])
    assert damaged in str(err.value)


def test_result_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(str(tmp_path / "shared.csv")) as tmp:
            open(tmp, "w").write("a\n")
        os.umask(0o077)
        with atomic_path(str(tmp_path / "private.csv")) as tmp:
            open(tmp, "w").write("a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "shared.csv").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "private.csv").st_mode) == 0o600


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    target = str(tmp_path / "c5_m10_s1.npz")
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, numpy as np\n"
        "from scipar.atomic import atomic_path\n"
        f"with atomic_path({target!r}, '.tmp.npz') as tmp:\n"
        "    np.savez(tmp, a=np.ones(3))\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n")])
    assert killed.returncode == -9
    orphans = os.listdir(tmp_path)
    assert len(orphans) == 1 and orphans[0].startswith(".c5_m10_s1.npz.") and orphans[0].endswith(".tmp.npz")
    with atomic_path(target, ".tmp.npz") as tmp:
        np.savez(tmp, a=np.ones(3))
    assert os.listdir(tmp_path) == ["c5_m10_s1.npz"]


@pytest.mark.parametrize("scale", [1e154, 1e200])
def test_coordinates_whose_squared_distances_overflow_are_refused(scale):
    import scipar
    from scipar.problems.chamfer.datasets import ClusterSet

    far = [np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]) * scale, np.array([[2.0, 2.0, 2.0]]) * scale]
    with pytest.raises(ValueError, match="beyond .*overflow"):
        scipar.solve(far, far, impl="cython-pruned")
    with pytest.raises(ValueError, match="overflow"):
        ClusterSet(np.ascontiguousarray(np.concatenate(far)), np.array([0, 2, 3], dtype=np.int64))
    near = [c / scale * 1e149 for c in far]  # the largest scale that is safe: exact answers
    for got, expected in zip(scipar.solve(near, near, impl="cython-pruned"), scipar.solve(near, near, impl="reference")):
        assert np.array_equal(got, expected)
