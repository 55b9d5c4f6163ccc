"""One study's figure, PNG and SVG."""

from scipar.logs import log_to

log_to(snakemake)

from scipar.report import write_figure  # noqa: E402

write_figure(snakemake.input[0], snakemake.wildcards.study, [snakemake.output.png, snakemake.output.svg])
