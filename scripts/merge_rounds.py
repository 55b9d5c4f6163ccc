"""A timing job's CSV from its rounds' CSVs."""

from scipar.workflow.script import start

start(snakemake, plugins=False)  # tables only: no problem, no plug-in

from scipar.workflow.timing import merge  # noqa: E402

merge(snakemake.input, snakemake.output[0])
