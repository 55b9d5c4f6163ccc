"""One round of a timing job, from the spec that both round rules give it
(rules/timing.smk, rules/interpreters.smk): run by Snakemake's script directive on
Snakemake's own interpreter, or as `python -m scipar.workflow.timing SPEC` on another;
and the merge of a job's rounds into its CSV (rule time).

SPEC (JSON): job (study, problem, impl, backend, workers, interpreter), study (type,
problem kind, calls), sampling, inputs ({role: path}), threads, round, output, log,
plugins.
"""

import faulthandler
import json
import os
import signal
import sys

from scipar.measure.layers import pin_threads, user_environment
from scipar.workflow.interpreters import GilWatch
from scipar.workflow.script import start_job


def _end_family(signum, frame):
    """On SIGTERM, end the processes this round started (pools, loky workers) with it."""
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            child.kill()
    finally:
        os._exit(128 + signum)


def run(spec):
    """One round. Run under scipar.workflow.supervise, which bounds its time and output;
    a crash writes where each thread was (faulthandler)."""
    watch = GilWatch()  # first: it must see every import
    faulthandler.enable()
    signal.signal(signal.SIGTERM, _end_family)
    job = spec["job"]
    environment = user_environment()  # before pin_threads removes what it resets
    # Before numpy or numba are imported: only the backend under test runs threads.
    pin_threads(job["workers"], job["backend"])
    start_job(spec["log"], spec["plugins"])
    if environment:
        print(f"environment: {environment}")

    from scipar.workflow.job import time_round, write_csv_atomically
    from scipar.measure.sampling import Sampling
    from scipar.workflow.plan import Job

    table = time_round(Job(**job), **spec["study"], sampling=Sampling(**spec["sampling"]), inputs=spec["inputs"],
                       threads=spec["threads"], index=spec["round"], environment=environment)
    # After every import the job made: a CSV is written only under the GIL state that
    # its interpreter is configured for.
    watch.check(job["interpreter"])
    write_csv_atomically(table, spec["output"])
    print(table[["process", "repeat", "loops", "wall_s", "cpu_s", "utilisation", "others_cores"]].to_string())
    print(f"round {spec['round']}: compile_s {table.compile_s.iloc[0]:.3g}, stopped on {table.round_stop.iloc[0]}; "
          f"{table.python_build.iloc[0]} Python {table.python.iloc[0]}, GIL {'on' if table.gil_enabled.iloc[0] else 'off'}")


def merge(round_paths, output):
    """The job's CSV from its rounds' CSVs (scipar.workflow.job.merge_rounds); what was
    merged, to stdout (the rule's log)."""
    from scipar.workflow.job import merge_rounds, write_csv_atomically
    from scipar.files import read_table

    table = merge_rounds([read_table(path) for path in round_paths])
    write_csv_atomically(table, output)
    print(f"{output}: {len(table)} samples from {table.processes.iloc[0]} rounds, rerun interval "
          f"+-{table.ci_half_width.iloc[0]:.1%}")


if __name__ == "__main__":
    run(json.loads(sys.argv[1]))
