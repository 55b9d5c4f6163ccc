"""Results that cannot be what they seem, flagged with their likely cause in words.

A cell is flagged when
- it is too fast to be true: more work per second per worker than its problem allows
  (Problem.max_rate), or a first call far slower than the rest with no JIT compiler
  loaded to explain it: cached or skipped work;
- it uses more CPUs than its workers: threads inside an implementation declared
  serial, or a pool the job did not pin;
- it is near the harness floor: less than FLOOR_FACTOR times what scipar's own path
  costs per call (scipar.workflow.floor);
- it ran fewer tasks than workers (threads or processes with workers left idle);
- it ran on one thread: a cell parallel inside (backend prange) at p > 1 whose CPU
  time is that of one thread (an OpenMP or Numba setting capped it);
- the user's environment chose how it runs (scipar.measure.layers.KEPT);
- its CSV's provenance differs from the run's (mixed_provenance: true).
Tables built from CSVs of different provenance are refused by default (check_provenance).
"""

import numpy as np
import pandas as pd

# Slack over the workers before CPU time counts as "more CPUs than its workers": the
# parent process of the processes backend, and the counters' own noise.
UTILISATION_SLACK = 0.3
# A prange cell at p > 1 whose utilisation stays below this ran on one thread.
ONE_THREAD = 1.15
# A first call this many times slower than the median call, and by this many seconds,
# is more than first-touch and warm caches explain.
FIRST_CALL_FACTOR, FIRST_CALL_S = 100, 0.1
# A call taking less than this many times the harness floor (scipar.workflow.floor)
# measures scipar's own path as much as the kernel.
FLOOR_FACTOR = 100

# What must be the same in every CSV of one table: the machine and scipar; the software
# under each interpreter (a free-threaded one has its own Python and wheels); and the
# sampling settings within each study.
PROVENANCE = ["host", "cpu_model", "logical_cpus", "scipar_version", "git_commit"]
SOFTWARE = ["python", "numpy", "numba", "cython"]
SAMPLING = ["min_sample_s", "target_ci", "repeats_per_process", "processes_planned", "max_job_s"]


class ProvenanceError(ValueError):
    """Timing CSVs of different machines, software or sampling settings in one table."""


def _first(cell, column, default=np.nan):
    return cell[column].iloc[0] if column in cell.columns else default


def cell_flags(r, cell):
    """The plausibility flags of a summary row `r` whose samples are `cell`."""
    flags = []
    workers, median, utilisation = r["workers"], r["wall_median_s"], r["utilisation_median"]
    max_rate = float(_first(cell, "max_rate"))
    rate = r["work"] / median / workers
    if np.isfinite(max_rate) and rate > max_rate:
        flags.append(f"too fast to be true: {rate:.3g} {r['work_unit']}/s per worker, beyond the {max_rate:.3g} "
                     "its problem allows: cached or skipped work?")
    first_call = float(cell["compile_s"].median()) if "compile_s" in cell.columns else np.nan
    if not bool(_first(cell, "jit_loaded", True)) and first_call > FIRST_CALL_FACTOR * median and first_call - median > FIRST_CALL_S:
        flags.append(f"too fast to be true: the first call took {first_call:.3g} s, later calls {median:.3g} s, "
                     "with no JIT compiler loaded to explain it: cached or skipped work?")
    if utilisation > workers + UTILISATION_SLACK:
        flags.append(f"uses more CPUs than its workers: utilisation {utilisation:.2f} with {workers} "
                     f"worker{'s' if workers > 1 else ''}: threads inside the implementation?")
    if r["backend"] == "prange" and workers > 1 and utilisation < ONE_THREAD:
        flags.append(f"ran on one thread: utilisation {utilisation:.2f} with {workers} threads asked "
                     "(OMP_THREAD_LIMIT, a threading layer, a kernel that ignores its workers?)")
    floor = float(cell["floor_s"].median()) if "floor_s" in cell.columns else np.nan
    if np.isfinite(floor) and median < FLOOR_FACTOR * floor:
        flags.append(f"near the harness floor: {median:.3g} s per call, of which scipar's own path (split, dispatch, "
                     f"combine, timer) takes {floor:.3g} s ({floor / median:.1%}; past {1 / FLOOR_FACTOR:.0%} its own "
                     "variations show in the cell's time): give each call more work")
    tasks = float(_first(cell, "tasks"))
    if r["backend"] in ("threads", "processes") and tasks < workers:
        flags.append(f"fewer tasks than workers: {tasks:.0f} task{'s' if tasks != 1 else ''} on {workers} workers, "
                     "so some had nothing to do (a larger instance, or a split into more pieces)")
    environment = _first(cell, "environment", "")
    kept = [part for part in str(environment).split("; ") if part.endswith("(kept)")] if isinstance(environment, str) else []
    if kept:
        flags.append(f"environment: {', '.join(kept)}: the user's setting chose how it runs")
    mixed = _first(cell, "provenance_differs", "")
    if isinstance(mixed, str) and mixed:
        flags.append(f"mixed provenance: {mixed}")
    return flags


def _signature(table):
    """The provenance of one CSV: {column: value} of PROVENANCE, SOFTWARE and SAMPLING."""
    return {c: (str(table[c].iloc[0]) if c in table.columns else "(missing)") for c in PROVENANCE + SOFTWARE + SAMPLING}


def check_provenance(tables, mixed_provenance=False):
    """One table from {path: timing CSV}, refused (ProvenanceError, naming the files and
    what differs) when the CSVs' machines or scipar differ, their software under one
    interpreter, or their sampling settings within a study; with `mixed_provenance`, kept, and every CSV that differs
    from the most common provenance gets a provenance_differs column saying how."""
    signatures = {path: _signature(t) for path, t in tables.items()}
    differs = {}
    for columns, groups in ((PROVENANCE, {None: list(tables)}), (SOFTWARE, _by(tables, "interpreter")),
                            (SAMPLING, _by(tables, "study"))):
        for paths in groups.values():
            values = pd.DataFrame([{c: signatures[p][c] for c in columns} for p in paths], index=paths)
            common = values.apply(lambda column: column.value_counts().index[0])
            for path, row in values.iterrows():
                diff = [f"{c} {row[c]} (the run's: {common[c]})" for c in columns if row[c] != common[c]]
                if diff:
                    differs[path] = differs.get(path, []) + diff
    if differs and not mixed_provenance:
        lines = [f"  {path}: {', '.join(diff)}" for path, diff in list(differs.items())[:10]]
        more = f"\n  ... and {len(differs) - 10} more" if len(differs) > 10 else ""
        raise ProvenanceError(
            f"{len(differs)} of {len(tables)} timing CSVs differ from the rest of the run in where or how they "
            "were measured:\n" + "\n".join(lines) + more + "\nA table of one run must come from one machine, "
            "one scipar and one set of sampling settings: rerun those jobs here (snakemake --cores N --force "
            "<each file named>, or delete them), or keep them, flagged, with --config mixed_provenance=True")
    out = []
    for path, table in tables.items():
        table = table.copy()
        table["provenance_differs"] = "; ".join(differs.get(path, []))
        out.append(table)
    return pd.concat(out, ignore_index=True)


def _by(tables, column):
    """{value: paths} of the CSVs by the value of one of their configuration columns."""
    groups = {}
    for path, table in tables.items():
        groups.setdefault(str(table[column].iloc[0]), []).append(path)
    return groups
