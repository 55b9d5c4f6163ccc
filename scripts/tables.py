"""All timing CSVs -> the tidy table and the summary with intervals and scaling."""

from scipar.workflow.script import start

start(snakemake, plugins=False)  # tables only: no problem, no plug-in

from scipar.report import write_tables  # noqa: E402

write_tables(snakemake.input, snakemake.output.timings, snakemake.output.summary,
             snakemake.config.get("mixed_provenance", False))
