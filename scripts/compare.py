"""This run against the config's compare_with: the comparison as CSV, Markdown and figure."""

from scipar.workflow.script import start

start(snakemake, plugins=False)  # tables only: no problem, no plug-in

from scipar.report.compare import Run, compare, write  # noqa: E402

if not snakemake.input.base:
    raise SystemExit("config: compare_with: no baseline run named (--config compare_with=<results folder>)")
o = snakemake.output
write(compare(Run(snakemake.input.base), Run(snakemake.input.new), snakemake.params.margin),
      o.csv, o.md, [o.png, o.svg])
