"""Compute the reference (cKDTree) Chamfer matrix of one problem, untimed."""

from scipar.logs import log_to

log_to(snakemake)

from scipar.measure import write_reference  # noqa: E402

write_reference(snakemake.input.left, snakemake.input.right, snakemake.output[0])
