"""Send a job's output to its Snakemake log file."""

import sys


def log_to(snakemake):
    """Redirect stdout and stderr of this script to the rule's log (line-buffered)."""
    if snakemake.log:
        sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
