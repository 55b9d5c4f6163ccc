"""Damaged or absurd input stops the step that reads it, naming the file or the key;
result files are written so that collaborators can read them and nothing is left half done."""

import os
import stat

import numpy as np
import pytest

from scipar.atomic import atomic_path
from scipar.workflow.job import time_job, write_csv_atomically
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


def _dataset(tmp_path, name="c6_m12_s1.npz"):
    import scipar
    from scipar.problems.chamfer.datasets import save_clusters

    return save_clusters(scipar.gen_clusters(6, 12, 1), str(tmp_path / name))


def _patch_central_directory(path, offset, value):
    """Set a 2-byte field of every central-directory entry of a zip file."""
    data = bytearray(open(path, "rb").read())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + offset: at + offset + 2] = value.to_bytes(2, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    open(path, "wb").write(bytes(data))


def test_loaders_read_only_what_they_need(tmp_path):
    import time
    import zipfile

    from scipar.problems.chamfer.datasets import load_clusters

    path = _dataset(tmp_path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:  # 400 MB of zeros in ~400 kB
        z.writestr("bomb.npy", b"\x00" * (400 * 2**20))
    start = time.perf_counter()
    assert len(load_clusters(path, expect=dict(cluster_count=6))) == 6
    assert time.perf_counter() - start < 0.5 and os.path.getsize(path) < 2**20


@pytest.mark.parametrize("damage, message", [
    ("npy renamed", "a single .npy array, not an .npz archive"),
    ("compressed", "member 'points' is compressed"),
    ("unknown method", "compressed|truncated or corrupted"),
    ("encrypted", "truncated or corrupted file .*encrypted"),
    ("truncated", "truncated or corrupted"),
])
def test_every_kind_of_damage_is_a_dataset_error_naming_the_file(tmp_path, damage, message):
    import zipfile

    from scipar.npz import DatasetError
    from scipar.problems.chamfer.datasets import load_clusters

    path = _dataset(tmp_path)
    if damage == "npy renamed":
        np.save(str(tmp_path / "x.npy"), np.ones(3))
        os.replace(str(tmp_path / "x.npy"), path)
    elif damage == "compressed":
        arrays = dict(np.load(path))
        np.savez_compressed(path.removesuffix(".npz"), **arrays)
    elif damage == "unknown method":
        _patch_central_directory(path, 10, 99)
    elif damage == "encrypted":
        _patch_central_directory(path, 8, 1)
    else:
        open(path, "r+b").truncate(os.path.getsize(path) // 2)
    with pytest.raises(DatasetError, match=message) as err:
        load_clusters(path)
    assert path in str(err.value) and zipfile  # named


def test_a_truncated_reference_and_a_wrong_dataset_are_named(tmp_path):
    from scipar.workflow.job import load_reference, write_reference
    from scipar.npz import DatasetError

    inputs = make_inputs(tmp_path, "chamfer", "L6-12-1_R5-12-2")
    reference = inputs["reference"]
    open(reference, "r+b").truncate(os.path.getsize(reference) // 2)
    with pytest.raises(DatasetError, match="L6-12-1_R5-12-2.npz: truncated or corrupted"):
        load_reference(reference)
    # The reference step of another instance, given these files: refused, not computed.
    with pytest.raises(DatasetError, match="c6_m12_s1.npz: cluster_count=6 in the file, expected 7"):
        write_reference("chamfer", "L7-12-1_R5-12-2", inputs, str(tmp_path / "other.npz"))


def _group(pgid):
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                found.append((p, " ".join(p.cmdline())))
        except (ProcessLookupError, psutil.Error):
            pass  # ended meanwhile
    return found


def test_ctrl_c_inside_a_compiled_kernel_ends_the_job_and_its_workers_at_once(tmp_path):
    """Ctrl-C is SIGINT to the terminal's foreground process group: Snakemake, its job and
    the job's loky workers, here all inside a Cython loop nest that would run for an hour
    (n = 3000: below the config check's limit of a day per solve at its fastest rate)."""
    import signal
    import subprocess
    import time

    import yaml
    from helpers import SNAKEMAKE, copy_workflow

    workdir = copy_workflow(str(tmp_path))
    config = dict(repeats=3, min_sample_s=0.01, max_job_s=5, seeds=[0], studies=dict(gil=dict(
        type="gil", problem="toy", impls=["cython"], instances=[dict(variant="accumulate", n=3000)],
        calls=2, backends=["processes"], workers=[2])))
    with open(os.path.join(workdir, "config", "long.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    run = subprocess.Popen(SNAKEMAKE + ["--cores", "2", "--configfile", "config/long.yaml"], cwd=workdir,
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while sum("popen_loky_posix" in cmdline for _, cmdline in _group(run.pid)) < 2:
        assert time.monotonic() < deadline and run.poll() is None, "the timing job's workers never started"
        time.sleep(0.2)
    time.sleep(2)  # well inside the kernel
    os.killpg(run.pid, signal.SIGINT)
    start = time.monotonic()
    while (run.poll() is None or _group(run.pid)) and time.monotonic() - start < 10:
        time.sleep(0.1)
    print(f"all processes gone {time.monotonic() - start:.2f} s after Ctrl-C")
    left = [cmdline[:80] for _, cmdline in _group(run.pid)]
    for p, _ in _group(run.pid):
        p.kill()
    assert not left, f"still running 10 s after Ctrl-C: {left}"
    assert not os.path.exists(os.path.join(workdir, "results", "timings"))  # no half-written CSV


def test_the_journal_sees_jobs_of_any_run_that_ran_at_the_same_time(tmp_path):
    from scipar.measure.journal import registered

    folder = str(tmp_path / "journal")
    with registered("a.csv", folder) as alone:
        pass
    with registered("b.csv", folder) as first:
        with registered("c.csv", folder) as inside:  # another run's job, started meanwhile
            pass
    with registered("d.csv", folder) as after:
        pass
    assert str(alone) == "" and str(after) == ""
    assert first.others == [os.path.abspath("c.csv")] and inside.others == [os.path.abspath("b.csv")]
    # A job killed halfway leaves its record unlocked: it overlapped the jobs it started
    # during, not those that started after it died; records of other hosts do not count.
    with registered("e.csv", folder) as running:
        with registered("killed.csv", folder):
            pass
    with open(os.path.join(folder, "otherhost@1@1.job"), "w") as f:
        f.write("/far/away.csv")
    with registered("f.csv", folder) as later:
        pass
    assert running.others == [os.path.abspath("killed.csv")] and later.others == []


def test_a_journal_that_cannot_be_written_is_said_not_to_have_been_checked(tmp_path):
    from scipar.measure.journal import registered

    (tmp_path / "file").write_text("")
    with registered("a.csv", str(tmp_path / "file" / "journal")) as overlaps:
        pass
    assert str(overlaps).startswith("not checked (journal ") and "file/journal" in str(overlaps)


def test_two_runs_with_nolock_timing_at_once_are_both_flagged(tmp_path):
    """Failure 6: with the lock overridden, two runs timed jobs at the same moment and the
    conclusion said "timed jobs overlapping: 0"."""
    import subprocess
    import time

    import pandas as pd
    import yaml
    from helpers import SNAKEMAKE, copy_workflow, snakemake

    from scipar.measure.journal import journal_folder

    workdir = copy_workflow(str(tmp_path))
    # Jobs of at least 8 one-second samples, so the second run starts well inside the first.
    config = dict(repeats=8, min_sample_s=1.0, max_job_s=20, seeds=[0], studies=dict(toy=dict(
        type="sequential", problem="toy", impls=["python"], instances=[dict(variant="accumulate", n=12),
                                                                        dict(variant="overwrite", n=12)])))
    with open(os.path.join(workdir, "config", "two.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    args = ["--cores", "1", "--configfile", "config/two.yaml"]
    first, second = (f"results/timings/toy/{p}-n12/python/serial-w1.csv" for p in ("accumulate", "overwrite"))
    before = set(os.listdir(journal_folder()))
    run = subprocess.Popen(SNAKEMAKE + [first] + args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not set(os.listdir(journal_folder())) - before:
        assert time.monotonic() < deadline and run.poll() is None, "the first run's timing job never started"
        time.sleep(0.1)
    snakemake(workdir, second, "--nolock", *args)
    assert run.wait(timeout=120) == 0
    snakemake(workdir, "results/tables/conclusion.md", *args)
    summary = pd.read_csv(os.path.join(workdir, "results/tables/summary.csv"))
    assert summary["flags"].str.contains("overlapped: other timing jobs ran on this host at the same time").all()
    assert summary["flags"].str.contains(os.path.join(workdir, first)).any()
    assert "timed jobs overlapping: 2" in open(os.path.join(workdir, "results/tables/conclusion.md")).read()
