"""One timing job of the toy kernel (studies toy and gil)."""

from scipar.layers import pin_threads

# First, before numpy or numba are imported: only the backend under test runs threads.
pin_threads(int(snakemake.wildcards.workers), snakemake.wildcards.backend)

from scipar.logs import log_to  # noqa: E402

log_to(snakemake)

from scipar.measure import Sampling, time_toy_job, write_csv_atomically  # noqa: E402
from scipar.plan import Job  # noqa: E402

w = snakemake.wildcards
job = Job(w.study, w.problem, w.impl, w.backend, int(w.workers))
table = time_toy_job(job, Sampling(**snakemake.params.sampling), snakemake.params.calls, snakemake.threads)
write_csv_atomically(table, snakemake.output[0])
print(table[["repeat", "loops", "wall_s", "cpu_s", "utilisation", "others_cores"]].to_string())
print(f"compile_s {table.compile_s.iloc[0]:.3g}, stopped on {table.stop_reason.iloc[0]}")
