import os

# Numba sizes its thread pool once, at import: allow prange tests with more workers
# than this machine has cores (correctness, not speed, is tested here).
os.environ.setdefault("NUMBA_NUM_THREADS", "4")

import pytest  # noqa: E402

from helpers import random_problem  # noqa: E402


@pytest.fixture(scope="session")
def small_problem():
    return random_problem(0)
