"""What every script of the workflow does first."""

import sys


def start(snakemake):
    """Send this script's stdout and stderr to the rule's log (line-buffered), and
    register the config's plug-ins, whose problems the job may need."""
    if snakemake.log:
        sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
    from scipar.problems import load_plugins

    load_plugins(snakemake.config.get("plugins", []))
