"""Make one dataset file of a problem (its make_dataset)."""

from scipar.workflow.script import start

start(snakemake)

from scipar.problems import get_problem  # noqa: E402

get_problem(snakemake.wildcards.kind).make_dataset(snakemake.wildcards.dataset, snakemake.output[0])
print(f"{snakemake.wildcards.kind} dataset -> {snakemake.output[0]}")
