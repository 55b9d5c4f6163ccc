"""From the timing CSVs to one tidy table, a summary per cell, and scaling metrics.

A cell is one configuration (study, problem, impl, interpreter, backend, workers); its
samples (per-call times) are summarised by the median and a bootstrap 95 % interval.
A cell is flagged, in words in its `flags` column, when its numbers deserve less trust:

- unstable: the samples' coefficient of variation exceeds 10 %;
- wide interval: the rerun interval of its median ends wider than +-target_ci (more
  rounds narrow it);
- busy machine: other programs took more than a quarter of a core on average while
  it ran (beyond twice the counters' resolution), or the hypervisor stole more than
  5 % of the machine's CPU time;
- oversubscribed: more workers than the CPUs the job could use;
- overlapped: another timing job ran on the same host at the same time (from any run),
  or the job could not check;
- too good: an efficiency above 1 (a speedup above the workers), with its likely
  cause: noise when the interval reaches 1, cache effects or frequency scaling when
  the whole interval lies above;
- one process: the job had one round only (processes: 1), so
  its interval does not cover what a fresh process would see;
- and the plausibility checks of scipar.report.plausible: too fast to be true, more
  CPUs than its workers, ran on one thread, an environment that changes what runs,
  mixed provenance.
"""

import os
from dataclasses import asdict

import numpy as np
import pandas as pd

from scipar import files
from scipar.measure.journal import UNCHECKED
from scipar.measure.stats import median_ci, ratio_ci, too_good
from scipar.report import plausible
from scipar.workflow.plan import job_of

CELL = ["study", "problem", "impl", "interpreter", "backend", "workers"]  # workers last (add_scaling)
# Per study or per job, the same in every row of a cell: carried into the summary.
CARRIED = ["study_type", "problem_kind", "work", "work_unit"]
CV_LIMIT = 0.10
BUSY_CORES = 0.25
BUSY_STEAL = 0.05
TICK_S = 0.01  # the period of Linux's CPU time counters (USER_HZ = 100)


class TimingFileError(ValueError):
    """A timing CSV that is empty, truncated, garbled or not the job its path names."""


def read_table(path):
    """Read a scipar CSV (scipar.files.read_table); TimingFileError names a bad one."""
    return files.read_table(path, TimingFileError)


# What every timing CSV holds, and the columns that must be numbers in every row.
REQUIRED = CELL + ["repeat", "loops", "wall_s", "cpu_s", "utilisation", "samples", "verified", "work", "overlapped_with"]
NUMERIC = ["workers", "repeat", "loops", "wall_s", "cpu_s", "utilisation", "samples", "work"]


def read_timing_csv(path):
    """One timing job's CSV, checked where it is read (check_timings), and the
    configuration its path names. Raises TimingFileError naming the file and what is wrong."""
    table = check_timings(path, f"rerun its job (snakemake --force {path})")
    job = job_of(os.fspath(path))
    if job:
        for column, value in asdict(job).items():
            if not (table[column] == value).all():
                raise TimingFileError(f"{path}: column {column} holds {table[column].iloc[0]!r}, its path says "
                                      f"{value!r}; rerun its job (snakemake --force {path})")
    return table


def check_timings(path, advice):
    """A CSV of timing samples (one job's, or a run's timings.csv), checked: its columns,
    their types, and per cell one row per sample its job says it took, numbered 0..n-1.
    Raises TimingFileError naming the file, what is wrong, and `advice`."""
    def bad(what):
        return TimingFileError(f"{path}: {what}; {advice}")

    try:
        table = read_table(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise bad(f"not a readable CSV ({str(err).strip()})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise bad(f"not a timing CSV, missing columns {missing}")
    if table.empty:
        raise bad("no sample rows")
    for column in NUMERIC:
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().any() or (values < 0).any():
            raise bad(f"column {column} holds {table[column][values.isna() | (values < 0)].iloc[0]!r}, not a number >= 0")
    for key, cell in table.groupby(CELL, sort=False):
        if not (cell.samples == len(cell)).all() or list(cell.repeat) != list(range(len(cell))):
            raise bad(f"{' '.join(map(str, key))}: {len(cell)} sample rows, but the job recorded "
                      f"{cell.samples.iloc[0]} samples (truncated?)")
    if not (table.wall_s > 0).all():
        raise bad("a wall time of 0")
    return table


def collect(paths, mixed_provenance=False):
    """Concatenate timing CSVs, each checked, into one tidy table (one row per sample).

    CSVs of different provenance (scipar.report.plausible.PROVENANCE) are refused,
    naming the files, unless `mixed_provenance`: then every cell that differs from the
    run's most common provenance is flagged."""
    if not paths:
        raise ValueError("no timing CSV to collect")
    tables = {os.fspath(p): read_timing_csv(p) for p in paths}
    return plausible.check_provenance(tables, mixed_provenance)


def process_samples(cell, column="wall_s"):
    """A cell's samples of `column`, one array per process (CSVs without a process column: one)."""
    if cell.empty:
        return []
    # Process numbers restart in every job: a process is (its cell, its number).
    keys = [c for c in CELL + ["process"] if c in cell.columns]
    return [group[column].to_numpy() for _, group in cell.groupby(keys, sort=True)]


def _noise(cell):
    """Others' CPU (in cores) over the cell's sampled time, its resolution, and the
    largest stolen share.

    The system's counters tick at 100 Hz while the job's own CPU time is exact, so each
    sample's reading is off by up to a tick per CPU: the average over all samples (taken
    before clipping at 0, which would bias it upwards) is known to within about
    TICK_S * CPUs * sqrt(samples) / sampled seconds.
    """
    sample_s = cell["wall_s"] * cell["loops"]
    others = (cell["others_cores"] * sample_s).sum() / sample_s.sum()
    resolution = TICK_S * cell["logical_cpus"].max() * np.sqrt(len(cell)) / sample_s.sum()
    return max(float(others), 0.0), float(resolution), float(cell["steal_fraction"].max())


def _job_flags(r):
    flags = []
    if r["unstable"]:
        flags.append(f"unstable: CV {r['wall_cv']:.0%}")
    if r["wide_interval"]:
        width = f"+-{r['ci_half_width']:.0%}" if np.isfinite(r["ci_half_width"]) else "none"
        flags.append(f"wide interval: {width} after {r['repeats']} samples in {r['processes']} processes "
                     f"({r['stop_reason']})")
    if r["busy"]:
        flags.append(f"busy machine: other programs used {r['others_cores']:.2f} +- "
                     f"{r['others_cores_resolution']:.2f} cores, {r['steal_fraction']:.0%} of CPU time was stolen")
    if r["oversubscribed"]:
        flags.append(f"oversubscribed: {r['workers']} workers, {r['cpus_allowed']} CPUs usable")
    if r["processes"] == 1 and r["repeats"] > 1:
        flags.append("one process: its interval covers this process's samples, not what a fresh one would see")
    if r["overlapped_with"].startswith(UNCHECKED):
        flags.append(f"overlap {r['overlapped_with']}")
    elif r["overlapped_with"]:
        # The first job only: the flags are joined with "; " as the jobs are, and a run
        # beside a whole other run overlaps hundreds (the CSV's overlapped_with has them all).
        first, *more = r["overlapped_with"].split("; ")
        flags.append(f"overlapped: other timing jobs ran on this host at the same time: {first}"
                     + (f" and {len(more)} more (overlapped_with)" if more else ""))
    return flags


def summarise(timings):
    """One row per cell: median per-call wall time with its interval, noise, flags."""
    rows = []
    for key, cell in timings.groupby(CELL, sort=True):
        wall = cell["wall_s"].to_numpy()
        median, low, high = median_ci(process_samples(cell))
        half_width = (high - low) / 2 / median
        cv = float(np.std(wall, ddof=1) / np.mean(wall)) if len(wall) > 1 else float("nan")
        others, resolution, steal = _noise(cell)
        first = cell.iloc[0]
        peak = cell.loc[(cell["rss_peak_mib"] + cell["workers_rss_peak_mib"]).idxmax()]
        rows.append(
            dict(zip(CELL, key))
            | {column: first[column] for column in CARRIED}
            | dict(
                repeats=len(wall),
                processes=int(cell["process"].nunique()) if "process" in cell.columns else 1,
                loops=int(cell["loops"].median()),
                wall_median_s=median,
                wall_ci_low_s=low,
                wall_ci_high_s=high,
                wall_cv=cv,
                unstable=bool(cv > CV_LIMIT),
                ci_half_width=half_width,
                stop_reason=first["stop_reason"],
                wide_interval=bool(not half_width <= first["target_ci"]),
                cpu_median_s=float(cell["cpu_s"].median()),
                utilisation_median=float(cell["utilisation"].median()),
                compile_s=float(cell["compile_s"].median()),
                # What scipar's own path costs per call (scipar.workflow.floor); NaN: not measured.
                floor_s=float(cell["floor_s"].median()) if "floor_s" in cell.columns else np.nan,
                load_before=float(cell["load_before"].max()),
                others_cores=others,
                others_cores_resolution=resolution,
                steal_fraction=steal,
                busy=bool(others - 2 * resolution > BUSY_CORES or steal > BUSY_STEAL),
                # Peak resident memory of the job's process and of its worker processes.
                # (Of the round that needed the most: each round is a process of its own.)
                rss_peak_mib=float(peak["rss_peak_mib"]),
                workers_rss_peak_mib=float(peak["workers_rss_peak_mib"]),
                memory_peak_mib=float(peak["rss_peak_mib"] + peak["workers_rss_peak_mib"]),
                **{c: float(cell[c].median()) for c in cell.columns if c.startswith("phase_")},
                cpus_allowed=int(cell["cpus_allowed"].min()),
                oversubscribed=bool(cell["oversubscribed"].any()),
                overlapped_with=first["overlapped_with"] if isinstance(first["overlapped_with"], str) else "",
            )
        )
    summary = pd.DataFrame(rows)
    summary["flags"] = ["; ".join(_job_flags(r) + plausible.cell_flags(r, cell))
                        for r, (_, cell) in zip(summary.to_dict("records"), timings.groupby(CELL, sort=True))]
    return summary


def add_scaling(summary, timings):
    """Scaling metrics for every cell.

    speedup = T(1) / T(p) of the same implementation and backend (with a bootstrap
    interval) and efficiency = speedup / p with the same interval divided by p;
    speedup_vs_fastest_serial against the fastest one-worker cell of the same study, interpreter and
    problem (Hoefler and Belli, rule 1); Karp-Flatt serial fraction for strong scaling;
    weak efficiency = T(1) W(p) / (p W(1) T(p)), where W is the work (in the problem's unit),
    which in a weak job grows with its workers (the CSVs' work column). An efficiency above 1 adds a flag.
    """
    out = summary.copy()
    walls = {key: process_samples(cell) for key, cell in timings.groupby(CELL)}
    flags = {tuple(r[c] for c in CELL): r["flags"] for r in out.to_dict("records")}
    work = {tuple(r[c] for c in CELL): r["work"] for r in out.to_dict("records")}
    serial = out[out.workers == 1].sort_values("wall_median_s").groupby(["study", "problem", "interpreter"]).first()
    metrics = []
    for r in out.to_dict("records"):
        key = tuple(r[c] for c in CELL)
        base = key[:-1] + (1,)
        p = r["workers"]
        m = dict(speedup=np.nan, speedup_ci_low=np.nan, speedup_ci_high=np.nan, karp_flatt=np.nan,
                 weak_efficiency=np.nan, weak_efficiency_ci_low=np.nan, weak_efficiency_ci_high=np.nan)
        if base == key:  # T(1) / T(1) of the same samples: exactly 1
            m["speedup"] = m["speedup_ci_low"] = m["speedup_ci_high"] = 1.0
        elif base in walls:
            m["speedup"], m["speedup_ci_low"], m["speedup_ci_high"] = ratio_ci((walls[base], walls[key]))
        if base in walls:
            if r["study_type"] == "strong" and p > 1:
                m["karp_flatt"] = (1 / m["speedup"] - 1 / p) / (1 - 1 / p)
            if r["study_type"] == "weak":
                # Ideal weak scaling: p times the work of one worker in the same time.
                scale = r["work"] / (work[base] * p)
                for k in ("", "_ci_low", "_ci_high"):
                    m["weak_efficiency" + k] = m["speedup" + k] * scale
        for k in ("", "_ci_low", "_ci_high"):
            m["efficiency" + k] = m["speedup" + k] / p
        where = (r["study"], r["problem"], r["interpreter"])
        fastest = serial.loc[where] if where in serial.index else None
        usable = fastest is not None and r["study_type"] != "weak"  # weak instances differ per p
        m["speedup_vs_fastest_serial"] = fastest["wall_median_s"] / r["wall_median_s"] if usable else np.nan
        m["fastest_serial"] = f"{fastest['impl']} {fastest['backend']}" if usable else ""
        efficiency = "weak_efficiency" if r["study_type"] == "weak" else "efficiency"
        m["too_good"] = too_good(m[efficiency], m[efficiency + "_ci_low"]) if p > 1 else ""
        m["flags"] = "; ".join(f for f in (r["flags"], m["too_good"]) if f)
        # A speedup is as trustworthy as both cells it divides.
        base_flags = flags.get(base, "") if base != key else ""
        m["speedup_flags"] = "; ".join(f for f in (m["flags"], base_flags and f"its 1-worker cell: {base_flags}") if f)
        metrics.append(m)
    out = out.drop(columns="flags")
    return pd.concat([out, pd.DataFrame(metrics, index=out.index)], axis=1)


def overlapping_jobs(timings):
    """(cell, what it overlapped) of every timing job that ran while another timing job
    ran on the same host, whichever run that came from (scipar.measure.journal)."""
    jobs = timings.groupby(CELL, sort=False).overlapped_with.first()  # NaN where none overlapped
    return [(cell, others) for cell, others in jobs.items()
            if isinstance(others, str) and others and not others.startswith(UNCHECKED)]
