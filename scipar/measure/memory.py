"""Peak resident memory of a timing job: its own process and its worker processes.

Processes copy what threads share (the workshop's point); this is what they cost. The
peaks are read once, at the end of a job, while the worker processes still live
(joblib's loky keeps them for the life of the job's process): the kernel's high-water
mark of resident memory (Linux's VmHWM), which holds the largest RSS a process ever had
since it started its program. (getrusage's ru_maxrss is no use here: Linux carries it
over an exec, so a job started by Snakemake would report Snakemake's own peak.)
Elsewhere the job's process reports ru_maxrss and a worker its current RSS, a lower
bound (`memory_method` says which).
"""

import os
import resource
import sys

import psutil

MIB = 2**20


def _peak_bytes(process):
    """(the peak RSS of a process in bytes, how it was read)."""
    try:
        with open(f"/proc/{process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "peak"
    except OSError:
        pass
    if process.pid == os.getpid():
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return (peak if sys.platform == "darwin" else peak * 1024), "ru_maxrss"  # bytes on macOS, KiB elsewhere
    return process.memory_info().rss, "current"


def peak_memory():
    """{rss_peak_mib, workers_rss_peak_mib, worker_processes, memory_method} now: this
    process's peak, and the sum of the peaks of all its descendants (joblib's workers
    and its resource tracker, which processes also cost)."""
    me = psutil.Process()
    own, method = _peak_bytes(me)
    total, methods, count = 0, {method}, 0
    for child in me.children(recursive=True):
        try:
            peak, method = _peak_bytes(child)
        except psutil.NoSuchProcess:  # ended meanwhile
            continue
        total, count = total + peak, count + 1
        methods.add(method)
    return dict(rss_peak_mib=own / MIB, workers_rss_peak_mib=total / MIB, worker_processes=count,
                memory_method="+".join(sorted(methods)))
