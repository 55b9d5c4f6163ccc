"""A picture of one problem's point clouds, L and R coloured by cluster."""

from scipar.logs import log_to

log_to(snakemake)

from scipar.report import write_problem_figure  # noqa: E402

i = snakemake.input
write_problem_figure(i.left, i.right, snakemake.wildcards.problem, snakemake.output[0])
