"""One of the workshop's four figures (PNG and SVG), redrawn from this run's summary."""

from scipar.workflow.script import start

start(snakemake, plugins=False)  # tables only: no problem, no plug-in

from scipar.report import write_workshop_figure  # noqa: E402

o = snakemake.output
write_workshop_figure(int(snakemake.wildcards.number), snakemake.input, [o.png, o.svg],
                      snakemake.config.get("mixed_provenance", False))
