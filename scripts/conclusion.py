"""The conclusion table (CSV and Markdown) with the differences from the workshop."""

from scipar.workflow.script import start

start(snakemake)

from scipar.report import write_conclusion  # noqa: E402

o = snakemake.output
write_conclusion(snakemake.input.summary, snakemake.input.timings, o.csv, o.md, snakemake.params.baselines)
