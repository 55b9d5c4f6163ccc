"""Which other timing jobs ran on this machine while this one ran, whichever run they
came from: another working directory, another Snakemake started with --nolock, a
collaborator's run on a shared node.

Every timing job registers in a journal folder shared by all runs on the machine
(SCIPAR_JOURNAL, else ~/.cache/scipar/timed-jobs): one file per job, named by host,
start and process, holding the job's output path and locked (flock) for as long as the
job lives. Another job overlapped this one if

- its file was there when this one registered, and still locked (it was running), or
- its file appeared while this one ran (it started while this one ran).

Both are certain, and a job killed halfway is caught by one of them, so no end time is
needed. Locks are released by the kernel when a process dies, whatever kills it.
"""

import fcntl
import os
import socket
import time
from contextlib import contextmanager

from scipar.files import read_text, safe_text

SUFFIX = ".job"
MAX_RECORD = 1024  # bytes: a record holds one output path
KEEP_S = 30 * 86400  # finished records older than this can no longer matter
UNCHECKED = "not checked"


def journal_folder():
    default = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "scipar", "timed-jobs")
    return os.environ.get("SCIPAR_JOURNAL") or default


class Overlaps:
    """The output paths of the jobs that overlapped this one, known once it ends; or
    why they could not be known."""

    def __init__(self):
        self.others, self.unchecked = [], ""

    def __str__(self):
        if self.unchecked:
            return f"{UNCHECKED} ({self.unchecked})"
        return "; ".join(self.others)


@contextmanager
def registered(label, folder=None):
    """Register a timing job (`label`: its output path) for the duration of the block;
    yields an Overlaps, filled when the block ends. A journal that cannot be written
    does not stop the job: the overlap is then reported as not checked."""
    folder = folder or journal_folder()
    overlaps = Overlaps()
    host = socket.gethostname()
    try:
        os.makedirs(folder, exist_ok=True)
        before = set(_records(folder, host))
        name, record = _register(folder, host, label)
        overlaps.others += [_read(folder, n) for n in sorted(before) if _running(folder, n)]
    except OSError as err:
        overlaps.unchecked = f"journal {folder}: {err.strerror or err}"
        yield overlaps
        return
    try:
        yield overlaps
    finally:
        try:
            appeared = set(_records(folder, host)) - before - {name}
            overlaps.others += [_read(folder, n) for n in sorted(appeared)]
            _prune(folder)
        except OSError as err:
            overlaps.unchecked = f"journal {folder}: {err.strerror or err}"
        finally:
            os.close(record)  # releases the lock


def _register(folder, host, label):
    """Write this job's record, locked before it becomes visible under its name, so that
    no other job can see it unlocked while this one lives."""
    name = f"{host}@{time.time_ns()}@{os.getpid()}{SUFFIX}"
    hidden = os.path.join(folder, "." + name)
    fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, os.path.abspath(label).encode())
    os.rename(hidden, os.path.join(folder, name))
    return name, fd


def _records(folder, host):
    return [n for n in os.listdir(folder) if n.endswith(SUFFIX) and n.rsplit("@", 2)[0] == host]


def _running(folder, name):
    try:
        fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _read(folder, name):
    """The output path a record names, as inert text of bounded length: it is copied into
    every row of the job's CSV and reaches tables and the report."""
    try:
        text = read_text(os.path.join(folder, name), OSError, "journal record", MAX_RECORD) or name
    except OSError:
        text = name  # gone, or not a record of scipar's: its name is all there is
    return safe_text(text, MAX_RECORD)


def _prune(folder):
    """Remove records of jobs that ended long ago (unlocked and old)."""
    now = time.time()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if name.endswith(SUFFIX) and now - os.path.getmtime(path) > KEEP_S and not _running(folder, name):
                os.remove(path)
        except FileNotFoundError:
            pass
