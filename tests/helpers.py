"""Helpers shared by the tests."""

import os
import shutil
import subprocess
import sys

import numpy as np
import yaml

import scipar

CHAMFER_IMPLS = sorted(scipar.implementations("chamfer"))


def runnable(impl):
    """(backend, workers) pairs that `impl` supports, with 1 and 2 workers."""
    out = [("serial", 1), ("threads", 2), ("processes", 2)]
    if scipar.get_implementation(impl).parallel_inside:
        out += [("prange", 1), ("prange", 2)]
    return out


def random_problem(seed, n_left=6, n_right=5, max_size=12):
    rng = np.random.default_rng(seed)

    def clusters(n):
        return [rng.normal(rng.integers(0, 5, 3), 1.0, (rng.integers(1, max_size), 3)) for _ in range(n)]

    return scipar.ClusterSet.from_clusters(clusters(n_left)), scipar.ClusterSet.from_clusters(clusters(n_right))


# --- running the workflow in a temporary copy of the repository ---

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
WORKFLOW = ["Snakefile", "rules", "scripts", "config", "envs", "report", "profiles"]


def copy_workflow(target):
    for name in WORKFLOW:
        source = os.path.join(REPO, name)
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, os.path.join(target, name))
    shutil.copy(os.path.join(REPO, "tests", "tiny.yaml"), os.path.join(target, "config", "tiny.yaml"))
    return target


def snakemake(workdir, *args, check=True):
    out = subprocess.run(SNAKEMAKE + list(args), cwd=workdir, capture_output=True, text=True, timeout=1200)
    if check and out.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out


def tiny_config():
    with open(os.path.join(REPO, "tests", "tiny.yaml")) as f:
        return yaml.safe_load(f)
