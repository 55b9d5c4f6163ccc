"""What every script of the workflow does first."""

import signal
import sys


def start(snakemake, plugins=True):
    """start_job(the rule's log, the config's plug-ins); `plugins` False for a step that
    reads tables only and needs no problem: its plug-ins are then not imported."""
    start_job(snakemake.log[0] if snakemake.log else None, snakemake.config.get("plugins", []) if plugins else [])


def start_job(log, plugins):
    """Send this script's stdout and stderr to the rule's log (line-buffered), register
    the config's plug-ins, whose problems the job may need, and let Ctrl-C end the job
    at once.

    Python turns SIGINT into KeyboardInterrupt only between bytecodes, so a job inside
    a compiled kernel (Numba, Cython, OpenMP) would run on until the kernel returns,
    minutes later. The system's default action ends the process at once, wherever it
    is; every output is written atomically (scipar.atomic), so none is left half
    written, and the job reruns on the next run."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if log:
        sys.stdout = sys.stderr = open(log, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    from scipar.problems import load_plugins

    load_plugins(plugins)
