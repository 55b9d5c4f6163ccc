"""The conclusion table (CSV and Markdown) with the differences from the workshop."""

from scipar.logs import log_to

log_to(snakemake)

from scipar.report import write_conclusion  # noqa: E402

o = snakemake.output
write_conclusion(snakemake.input.summary, snakemake.input.timings, o.csv, o.md)
