"""Write one Chamfer cluster set as a ParaView (.vtu) file."""

from scipar.workflow.script import start

start(snakemake)

from scipar.problems.chamfer.datasets import load_clusters  # noqa: E402
from scipar.problems.chamfer.paraview import save_vtu  # noqa: E402

clusters = load_clusters(snakemake.input[0])
save_vtu(clusters, snakemake.output[0])
print(f"{snakemake.input[0]}: {len(clusters)} clusters, {clusters.n_points} points -> {snakemake.output[0]}")
