"""One round of a timing job, watched from outside the kernel.

A kernel that never returns cannot be stopped from inside: a compiled call holding the
GIL runs no Python signal handler, and max_job_s is checked only between samples. So
the round runs in a child process (`python -m scipar.workflow.timing SPEC`, on the
round's interpreter) and this process, which imports nothing heavy:

- ends the child and every process it started (pools, loky workers) once the round
  passes its hard limit (Sampling.round_limit_s), after asking faulthandler, through
  SIGABRT, to write where each of its threads was; no CSV is written, and the message
  names the implementation;
- copies the child's output (Python's and C's: printf from a kernel) into the round's
  log, the first and last MAX_LOG_BYTES / 2 of it, with a note of what was cut;
- ends the child's processes when it is told to stop (SIGTERM, SIGINT), so that none
  is left running without a parent;
- names the signal of a child that crashed (faulthandler wrote its traceback to the log).

Usage: python -m scipar.workflow.supervise PYTHON SPEC (JSON), or supervise(spec).
"""

import json
import os
import signal
import subprocess
import sys
import threading

import psutil

MAX_LOG_BYTES = 1 << 20
GRACE_S = 3  # for faulthandler's traceback, between SIGABRT and SIGKILL


class RoundError(RuntimeError):
    """A round that failed, crashed or did not return."""


def _limit(spec):
    from scipar.measure.sampling import Sampling  # light: no numpy

    return Sampling(**spec["sampling"]).round_limit_s


def _end(process):
    """Kill the child and all its descendants (collected first: once the child dies,
    they belong to init and out of its tree)."""
    try:
        family = process.children(recursive=True) + [process]
    except psutil.NoSuchProcess:
        return
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


class _BoundedCopy(threading.Thread):
    """Copy a stream into a file: its first and last `limit` / 2 bytes, and how much was cut."""

    def __init__(self, source, target, limit=MAX_LOG_BYTES):
        super().__init__(daemon=True)
        self.source, self.target, self.half = source, target, limit // 2
        self.written = self.cut = 0
        self.tail = bytearray()

    def run(self):
        for chunk in iter(lambda: self.source.read1(65536), b""):
            room = self.half - self.written
            if room > 0:
                self.target.write(chunk[:room])
                self.target.flush()
                self.written += min(room, len(chunk))
                chunk = chunk[room:]
            self.tail += chunk
            if len(self.tail) > self.half:
                self.cut += len(self.tail) - self.half
                del self.tail[: len(self.tail) - self.half]

    def finish(self):
        self.join(timeout=10)
        if self.cut:
            self.target.write(f"\n[... {self.cut:,} bytes of output cut: a job's log keeps its first and last "
                              f"{self.half:,} bytes ...]\n".encode())
        self.target.write(bytes(self.tail))
        self.target.flush()


def _describe(spec):
    job = spec["job"]
    return (f"{job['impl']} ({job['study']} {job['problem']} {job['backend']} x{job['workers']}, "
            f"interpreter {job['interpreter']}, round {spec['round']})")


def supervise(spec, python=sys.executable, env=None):
    """Run one round in a child process; raise RoundError naming the implementation if
    it fails, crashes or passes its hard limit."""
    limit = _limit(spec)
    child_spec = dict(spec, log=None)  # the child writes to its stdout; the log is this process's to bound
    log = open(spec["log"], "wb") if spec.get("log") else sys.stdout.buffer
    child = subprocess.Popen([python, "-m", "scipar.workflow.timing", json.dumps(child_spec)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env)
    process = psutil.Process(child.pid)

    def stop(signum, frame):
        _end(process)
        os._exit(128 + signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    copy = _BoundedCopy(child.stdout, log)
    copy.start()
    error = None
    try:
        try:
            code = child.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGABRT)  # faulthandler: where every thread is
            try:
                child.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                pass
            code = None
            error = (f"{_describe(spec)} did not return: the round ran past its hard limit of {limit:.0f} s "
                     "(hard_limit_s; by default 120 s plus 10 times max_job_s / processes), so it and its worker "
                     "processes were ended and no CSV was written; the traceback above shows where it was")
        _end(process)  # and anything it started and left behind
        copy.finish()
        if code is not None and code < 0:
            error = (f"{_describe(spec)} crashed: {signal.Signals(-code).name}; the traceback above "
                     "(faulthandler's) shows where")
        elif code:
            error = f"{_describe(spec)} failed (exit code {code}); the lines above say why"
        if error:
            log.write(f"\nscipar: {error}\n".encode())
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if log is not sys.stdout.buffer:
            log.close()
    if error:
        raise RoundError(error)


def main(argv):
    python, spec = argv
    try:
        supervise(json.loads(spec), python)
    except RoundError as err:
        print(f"scipar: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
