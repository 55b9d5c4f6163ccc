"""The docs hold what they promise: the README's commands are the ones CI runs, every
relative link resolves, and the README stays a front door."""

import glob
import os
import re

from helpers import REPO, copy_workflow, snakemake

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
            elif "#" in target and target.split("#")[1] not in anchors(path):
                broken.append(f"{page}: {target} (no such heading)")
    assert not broken


def anchors(page):
    """The anchors the forge gives a Markdown page's headings (GitHub's rule: lower case,
    punctuation dropped, spaces to hyphens)."""
    if not page.endswith(".md"):
        return set()
    headings = re.findall(r"^#+ (.+)$", _read(page), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def doc_targets():
    """The results/ files the docs' commands ask for under the default config."""
    targets = set()
    for page in PAGES:
        for line in _read(page).replace("\\\n", " ").splitlines():  # a command continued on the next line: one
            command = line.strip().split("#")[0]
            if line.startswith("    ") and "snakemake" in command and "--configfile" not in command:
                targets.update(w for w in command.split() if w.startswith("results/") and w != "results/report.html")
    return sorted(targets)


def test_every_file_the_docs_ask_for_is_one_the_default_workflow_makes(tmp_path):
    targets = doc_targets()
    assert "results/figures/workshop/fig2.png" in targets and len(targets) >= 3
    workdir = copy_workflow(str(tmp_path))
    out = snakemake(workdir, "-n", "--cores", "2", *targets)
    assert "Nothing to be done" not in out.stdout  # each target planned, none missing
    # A file the config does not plan (the paper's image instance) is refused, not timed.
    other = "results/timings/images/images100_size512_seed42/ndimage/threads-w2.csv"
    refused = snakemake(workdir, "-n", "--cores", "2", other, check=False)
    assert refused.returncode != 0 and f"{other}: study images of this config plans no such job" in refused.stdout + refused.stderr
    nosuch = snakemake(workdir, "-n", "--cores", "2", "results/timings/nosuch/x1/python/serial-w1.csv", check=False)
    assert nosuch.returncode != 0 and "this config has no study nosuch (its studies: toy, gil," in nosuch.stdout + nosuch.stderr


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
