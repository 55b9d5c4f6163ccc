"""Compute an instance's reference (what its problem checks answers with), untimed."""

from scipar.workflow.script import start

start(snakemake)

from scipar.workflow.job import write_reference  # noqa: E402

w = snakemake.wildcards
write_reference(w.kind, w.problem, snakemake.input, snakemake.output[0])
