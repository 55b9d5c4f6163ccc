"""One timing job, from the spec that both timing rules give it (rules/timing.smk,
rules/interpreters.smk): run by Snakemake's script directive on Snakemake's own
interpreter, or as `python -m scipar.workflow.timing SPEC` on another.

SPEC (JSON): job (study, problem, impl, backend, workers, interpreter), study (type,
problem kind, calls), sampling, inputs ({role: path}), threads, output, log, plugins.
"""

import json
import sys

from scipar.measure.layers import pin_threads
from scipar.workflow.interpreters import GilWatch
from scipar.workflow.script import start_job


def run(spec):
    watch = GilWatch()  # first: it must see every import
    job = spec["job"]
    # Before numpy or numba are imported: only the backend under test runs threads.
    pin_threads(job["workers"], job["backend"])
    start_job(spec["log"], spec["plugins"])

    from scipar.measure.job import time_job, write_csv_atomically
    from scipar.measure.sampling import Sampling
    from scipar.workflow.plan import Job

    table = time_job(Job(**job), **spec["study"], sampling=Sampling(**spec["sampling"]), inputs=spec["inputs"],
                     threads=spec["threads"])
    # After every import the job made: a CSV is written only under the GIL state that
    # its interpreter is configured for.
    watch.check(job["interpreter"])
    write_csv_atomically(table, spec["output"])
    print(table[["repeat", "loops", "wall_s", "cpu_s", "utilisation", "others_cores"]].to_string())
    print(f"compile_s {table.compile_s.iloc[0]:.3g}, stopped on {table.stop_reason.iloc[0]}; "
          f"{table.python_build.iloc[0]} Python {table.python.iloc[0]}, GIL {'on' if table.gil_enabled.iloc[0] else 'off'}")


if __name__ == "__main__":
    run(json.loads(sys.argv[1]))
