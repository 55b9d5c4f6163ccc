"""The report stage as functions the thin scripts call: tables, figures, conclusion."""

import warnings

from scipar import conclusion, figures
from scipar.atomic import atomic_path
from scipar.datasets import load_clusters
from scipar.summary import add_scaling, collect, overlapping_jobs, read_table, summarise


def write_tables(timing_paths, timings_out, summary_out):
    timings = collect(timing_paths)
    overlaps = overlapping_jobs(timings)
    for a, b in overlaps:
        warnings.warn(f"timed jobs overlapped on the same host: {a} and {b}")
    summary = add_scaling(summarise(timings), timings)
    for table, path in ((timings, timings_out), (summary, summary_out)):
        with atomic_path(path) as tmp:
            table.to_csv(tmp, index=False)
    return summary


def write_figure(summary_path, study, paths):
    figures.FIGURES[study](read_table(summary_path), paths)


def write_problem_figure(left_path, right_path, problem, path):
    figures.problem_figure(load_clusters(left_path), load_clusters(right_path), f"Problem {problem}", path)


def write_conclusion(summary_path, timings_path, csv_out, md_out):
    summary, timings = read_table(summary_path), read_table(timings_path)
    chamfer = conclusion.chamfer_table(summary, timings)
    diffs = conclusion.differences(summary, timings, overlapping_jobs(timings))
    text = conclusion.conclusion_markdown(
        chamfer, conclusion.toy_table(summary), diffs, conclusion.flagged_cells(summary),
        conclusion.sampling_facts(timings),
    )
    with atomic_path(csv_out) as tmp:
        chamfer.to_csv(tmp, index=False)
    with atomic_path(md_out) as tmp, open(tmp, "w") as f:
        f.write(text)


