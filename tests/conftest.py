import os

# Numba sizes its thread pool once, at import: allow prange tests with more workers
# than this machine has cores (correctness, not speed, is tested here).
os.environ.setdefault("NUMBA_NUM_THREADS", "4")

import pytest  # noqa: E402

from helpers import random_problem  # noqa: E402


@pytest.fixture(scope="session")
def small_problem():
    return random_problem(0)


@pytest.fixture(autouse=True, scope="session")
def own_journal(tmp_path_factory):
    """Timing jobs of the tests (and the Snakemake runs they start) register in a journal
    of their own, not in the user's, where a run of the user's would count as overlap."""
    os.environ["SCIPAR_JOURNAL"] = str(tmp_path_factory.mktemp("journal"))
