"""Generate one cluster set with the workshop's generator and save it."""

from scipar.logs import log_to

log_to(snakemake)

from scipar.datasets import gen_clusters, save_clusters  # noqa: E402

w = snakemake.wildcards
clusters = gen_clusters(int(w.clusters), int(w.max_size), int(w.seed))
save_clusters(clusters, snakemake.output[0])
print(f"{len(clusters)} clusters, {clusters.n_points} points -> {snakemake.output[0]}")
