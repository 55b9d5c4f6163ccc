"""One round of a timing job: (study, problem instance, implementation, backend, workers)
-> its round CSV, in a child process watched for its time and output."""

import sys

from scipar.workflow.supervise import RoundError, supervise

try:
    supervise(snakemake.params.spec)
except RoundError as err:
    sys.exit(f"scipar: {err}")
