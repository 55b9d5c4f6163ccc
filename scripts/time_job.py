"""One timing job: (study, problem instance, implementation, backend, workers) -> CSV."""

from scipar.measure.layers import pin_threads

# First, before numpy or numba are imported: only the backend under test runs threads.
pin_threads(int(snakemake.wildcards.workers), snakemake.wildcards.backend)

from scipar.workflow.script import start  # noqa: E402

start(snakemake)

from scipar.measure.job import time_job, write_csv_atomically  # noqa: E402
from scipar.measure.sampling import Sampling  # noqa: E402
from scipar.workflow.plan import Job  # noqa: E402

w = snakemake.wildcards
job = Job(w.study, w.problem, w.impl, w.backend, int(w.workers))
sampling = Sampling(**snakemake.params.sampling)
table = time_job(job, **snakemake.params.study, sampling=sampling, inputs=snakemake.input, threads=snakemake.threads)
write_csv_atomically(table, snakemake.output[0])
print(table[["repeat", "loops", "wall_s", "cpu_s", "utilisation", "others_cores"]].to_string())
print(f"compile_s {table.compile_s.iloc[0]:.3g}, stopped on {table.stop_reason.iloc[0]}")
