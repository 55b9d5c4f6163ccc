"""One timing job: (study, problem instance, implementation, backend, workers) -> CSV."""

from scipar.workflow.timing import run

run(snakemake.params.spec)
