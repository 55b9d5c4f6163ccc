"""From the timing CSVs to one tidy table, a summary per cell, and scaling metrics.

A cell is one configuration (study, problem, impl, variant, backend, workers); its
repeats are summarised by the median and a bootstrap 95 % interval, and flagged when
their coefficient of variation exceeds 10 %.
"""

import numpy as np
import pandas as pd

CELL = ["study", "problem", "impl", "variant", "backend", "workers"]
CV_LIMIT = 0.10
BOOTSTRAP = 2000


def read_table(path):
    """Read a scipar CSV: empty cells are missing values, "NA" or "nan" are not special."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def collect(paths):
    """Concatenate timing CSVs into one tidy table (one row per timed repeat)."""
    if not paths:
        raise ValueError("no timing CSV to collect")
    tables = [read_table(p) for p in paths]
    timings = pd.concat(tables, ignore_index=True)
    if "variant" not in timings:
        timings["variant"] = ""
    timings["variant"] = timings["variant"].fillna("")
    return timings


def _resampled_medians(values, rng):
    values = np.asarray(values, dtype=float)
    picks = rng.integers(0, len(values), (BOOTSTRAP, len(values)))
    return np.median(values[picks], axis=1)


def median_ci(values, seed=0):
    """Median and percentile-bootstrap 95 % interval of the median."""
    medians = _resampled_medians(values, np.random.default_rng(seed))
    return float(np.median(values)), float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def ratio_ci(numerator, denominator, seed=0):
    """median(numerator) / median(denominator) with a bootstrap 95 % interval."""
    rng = np.random.default_rng(seed)
    ratios = _resampled_medians(numerator, rng) / _resampled_medians(denominator, rng)
    point = float(np.median(numerator) / np.median(denominator))
    return point, float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


def _work(cell):
    """The size of a cell's work: point pairs (Chamfer) or loop iterations (toy)."""
    for column in ("pairs", "iterations"):
        if column in cell and pd.notna(cell[column].iloc[0]):
            return float(cell[column].iloc[0])
    return float("nan")


def summarise(timings):
    """One row per cell: median wall time with its interval, CV flag, CPU, utilisation."""
    rows = []
    for key, cell in timings.groupby(CELL, sort=True):
        wall = cell["wall_s"].to_numpy()
        median, low, high = median_ci(wall)
        cv = float(np.std(wall, ddof=1) / np.mean(wall)) if len(wall) > 1 else float("nan")
        rows.append(
            dict(zip(CELL, key))
            | dict(
                repeats=len(wall),
                wall_median_s=median,
                wall_ci_low_s=low,
                wall_ci_high_s=high,
                wall_cv=cv,
                unstable=bool(cv > CV_LIMIT),
                cpu_median_s=float(cell["cpu_s"].median()),
                utilisation_median=float(cell["utilisation"].median()),
                compile_s=float(cell["compile_s"].median()),
                work=_work(cell),
            )
        )
    return pd.DataFrame(rows)


def add_scaling(summary, timings):
    """Scaling metrics for every cell.

    speedup = T(1) / T(p) of the same implementation and backend (with a bootstrap
    interval) and efficiency = speedup / p; speedup_vs_fastest_serial against the fastest
    one-worker cell of the same study and problem (Hoefler and Belli, rule 1); Karp-Flatt
    serial fraction for strong scaling; weak efficiency = T(1) W(p) / (p W(1) T(p)), where
    W is the work (point pairs), which in a weak job grows with its workers.
    """
    out = summary.copy()
    walls = {key: cell["wall_s"].to_numpy() for key, cell in timings.groupby(CELL)}
    work = {tuple(r[c] for c in CELL): r["work"] for r in out.to_dict("records")}
    serial = out[out.workers == 1].sort_values("wall_median_s").groupby(["study", "problem"]).first()
    metrics = []
    for r in out.to_dict("records"):
        key = tuple(r[c] for c in CELL)
        base = key[:-1] + (1,)
        p = r["workers"]
        m = dict(speedup=np.nan, speedup_ci_low=np.nan, speedup_ci_high=np.nan, karp_flatt=np.nan, weak_efficiency=np.nan)
        if base in walls:
            m["speedup"], m["speedup_ci_low"], m["speedup_ci_high"] = ratio_ci(walls[base], walls[key])
            if r["study"] == "strong" and p > 1:
                m["karp_flatt"] = (1 / m["speedup"] - 1 / p) / (1 - 1 / p)
            if r["study"] == "weak":
                # Ideal weak scaling: p times the work of one worker in the same time.
                m["weak_efficiency"] = m["speedup"] * r["work"] / (work[base] * p)
        m["efficiency"] = m["speedup"] / p
        fastest = serial.loc[(r["study"], r["problem"])] if (r["study"], r["problem"]) in serial.index else None
        usable = fastest is not None and r["study"] != "weak"  # weak problems differ per p
        m["speedup_vs_fastest_serial"] = fastest["wall_median_s"] / r["wall_median_s"] if usable else np.nan
        m["fastest_serial"] = f"{fastest['impl']} {fastest['backend']}" if usable else ""
        metrics.append(m)
    return pd.concat([out, pd.DataFrame(metrics, index=out.index)], axis=1)


def overlapping_jobs(timings):
    """Pairs of timing jobs on the same host whose [started_at, finished_at] overlap."""
    jobs = timings.groupby(CELL + ["host"], sort=False).agg(start=("started_at", "first"), end=("finished_at", "first")).reset_index()
    jobs["start"], jobs["end"] = pd.to_datetime(jobs["start"]), pd.to_datetime(jobs["end"])
    found = []
    for _, group in jobs.groupby("host"):
        group = group.sort_values("start")
        latest_end, latest = None, None
        for row in group.itertuples(index=False):
            if latest_end is not None and row.start < latest_end:
                found.append((latest, tuple(getattr(row, c) for c in CELL)))
            if latest_end is None or row.end > latest_end:
                latest_end, latest = row.end, tuple(getattr(row, c) for c in CELL)
    return found
