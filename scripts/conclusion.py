"""The conclusion table (CSV and Markdown) with this run in the workshop's terms and the
differences from the workshop; and the report's first page."""

from scipar.workflow.script import start

start(snakemake)  # its implementations: which are compiled (a plug-in may add some)

from scipar.report import write_conclusion  # noqa: E402

o = snakemake.output
write_conclusion(snakemake.input.summary, snakemake.input.timings, o.csv, o.md,
                 (snakemake.input.front_page, o.front_page), snakemake.params.baselines,
                 snakemake.input.get("facts"), snakemake.params.unplanned)
