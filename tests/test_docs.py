"""The docs hold what they promise: the README's commands are the ones CI runs, every
relative link resolves, and the README stays a front door."""

import glob
import os
import re

from helpers import REPO

PAGES = ["README.md", "config/README.md"] + sorted(os.path.relpath(p, REPO) for p in glob.glob(f"{REPO}/docs/*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def readme_commands():
    """The README's indented command lines, in order."""
    return [line.strip() for line in _read("README.md").splitlines() if line.startswith("    python3 -m venv")]


def test_the_readme_opens_with_the_two_commands_and_ci_runs_its_test_command():
    main, tests, setup = readme_commands()[:3]
    assert main.startswith(setup + " && ") and tests.startswith(setup + " && ") and tests.endswith("pytest")
    assert "snakemake --cores all" in main
    ci = _read(".ci/run").splitlines()
    assert tests in ci  # verbatim, a line of its own


def test_every_relative_link_resolves():
    broken = []
    for page in PAGES:
        for target in LINK.findall(_read(page)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
            if not os.path.exists(os.path.join(REPO, path)):
                broken.append(f"{page}: {target}")
    assert not broken


def test_the_readme_is_a_front_door():
    text = _read("README.md")
    assert len(text.splitlines()) <= 150
    assert re.search(r"!\[[^\]]+\]\(docs/[^)]+\.png\)", text)  # a picture of a real result
    for page in ("own-code", "compare", "cluster", "workshop", "method", "workflow"):
        assert f"docs/{page}.md" in text


def test_the_readmes_own_code_example_is_the_example_plug_in():
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    shown = readme.split("```python\n", 1)[1].split("```", 1)[0]
    plugin = open(os.path.join(REPO, "examples", "mandelbrot", "mandelbrot.py"), encoding="utf-8").read()
    assert shown == plugin.split("\n", 1)[1]  # all of it but its docstring
