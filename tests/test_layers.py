"""The package's layers point one way: report -> workflow -> problems -> measure."""

import ast
import glob
import os

from helpers import REPO

LAYERS = ["measure", "problems", "workflow", "report"]  # each may import only those before it


def imported(path):
    """The scipar modules a file imports, wherever in the file (a function's import counts)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n.startswith("scipar.")]


def test_layers_point_one_way():
    wrong = []
    for k, layer in enumerate(LAYERS):
        above = LAYERS[k + 1:]
        for path in glob.glob(os.path.join(REPO, "scipar", layer, "**", "*.py"), recursive=True):
            for name in imported(path):
                if name.split(".")[1] in above:
                    wrong.append(f"{os.path.relpath(path, REPO)} imports {name}")
    assert not wrong
