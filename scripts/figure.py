"""One study's figure, PNG and SVG, drawn by the study's type."""

from scipar.workflow.script import start

start(snakemake, plugins=False)  # tables only: no problem, no plug-in

from scipar.report import write_figure  # noqa: E402

o = snakemake.output
write_figure(snakemake.input, snakemake.wildcards.study, [o.png, o.svg], snakemake.params.baseline,
             snakemake.config.get("mixed_provenance", False))
