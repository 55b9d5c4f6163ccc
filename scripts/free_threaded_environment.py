"""The free-threaded interpreter's virtual environment and its facts (what installed,
which implementations it leaves out and why)."""

from scipar.workflow.script import start

start(snakemake)

from scipar.workflow.environment import build_environment  # noqa: E402

facts = build_environment(snakemake.params.python, snakemake.output.venv, snakemake.output.facts,
                          snakemake.params.impls)
print(f"Python {facts['version']} free-threaded at {facts['python']}; left out: {facts['left_out'] or 'none'}")
