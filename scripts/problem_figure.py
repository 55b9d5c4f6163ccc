"""A picture of one problem instance (for problems that can draw one)."""

from scipar.workflow.script import start

start(snakemake)

from scipar.report import write_picture  # noqa: E402

w = snakemake.wildcards
write_picture(w.kind, w.problem, snakemake.input, snakemake.output[0])
