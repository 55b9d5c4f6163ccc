"""The report stage as functions the thin scripts call: tables, figures, conclusion.

summary: timing CSVs -> one row per cell, with intervals, flags and scaling metrics;
figures: one per study, by its type; workshop_figures: the workshop's four, beside
its printed numbers; conclusion: per problem and implementation, the
speedups of this run; workshop: the workshop's printed numbers and defects; cells:
picking cells and writing numbers with their intervals.
"""

import json
import warnings

from scipar.atomic import atomic_path
from scipar.report import conclusion, figures, interpreters, workshop
from scipar.report.cells import flagged_cells
from scipar.report.summary import CELL, TimingFileError, add_scaling, collect, overlapping_jobs, read_table, summarise


def summarised(timing_paths, mixed_provenance=False):
    """(summary, timings) of some timing CSVs: a study's, or the whole run's; CSVs of
    different provenance are refused unless `mixed_provenance` (summary.collect)."""
    timings = collect(timing_paths, mixed_provenance)
    return add_scaling(summarise(timings), timings), timings


def say_flags(summary):
    """Print why each flagged cell of a figure is circled (to the figure's log): asking
    for one figure makes no summary.csv."""
    for cell, flags in flagged_cells(summary):
        print(f"flagged: {cell}: {flags}")


def write_tables(timing_paths, timings_out, summary_out, mixed_provenance=False):
    summary, timings = summarised(timing_paths, mixed_provenance)
    for a, b in overlapping_jobs(timings):
        warnings.warn(f"timed jobs overlapped on the same host: {a} and {b}")
    for table, path in ((timings, timings_out), (summary, summary_out)):
        with atomic_path(path) as tmp:
            table.to_csv(tmp, index=False)
    return summary


def write_figure(timing_paths, study, paths, baseline=None, mixed_provenance=False):
    """The figure of one study, from its own timing CSVs: asking for it runs its jobs only."""
    summary = summarised(timing_paths, mixed_provenance)[0]
    figures.study_figure(summary, study, paths, baseline)
    say_flags(summary[summary.study == study])


def write_workshop_figure(number, timing_paths, paths, mixed_provenance=False):
    """One of the workshop's four figures, this run's numbers beside its printed ones,
    from the timing CSVs of the studies it draws."""
    from scipar.report.workshop_figures import FIGURES

    summary, timings = summarised(timing_paths, mixed_provenance)
    FIGURES[number](summary, timings, paths)
    say_flags(summary)


def check_derived(summary, timings, summary_path, timings_path):
    """A summary must hold one row per cell of the samples it was derived from: a
    truncated or stale one is refused, naming both files."""
    def cells(table):
        return set(map(tuple, table[CELL].astype(str).drop_duplicates().to_numpy()))

    if len(summary) != len(cells(summary)) or cells(summary) != cells(timings):
        raise TimingFileError(
            f"{summary_path} has {len(summary)} rows for {len(cells(timings))} cells in {timings_path}: it does not "
            "match the samples it was derived from (truncated, or from another run); rebuild it: "
            f"snakemake --cores N --force {summary_path}")


def write_picture(kind, instance, inputs, path):
    """A picture of one instance, drawn by its problem."""
    from scipar.problems import get_problem

    problem = get_problem(kind)
    problem.picture(problem.load(problem.instance_params(instance), inputs), f"Problem {instance}", path)


def write_conclusion(summary_path, timings_path, csv_out, md_out, front_page=None, baselines=None,
                     interpreter_facts=None, unplanned=None):
    """The conclusion as CSV and Markdown; `front_page`, (template, output), writes the
    report's first page: the template's text and this run in the workshop's terms.

    Studies under several interpreters have a section of their own; the workshop's
    terms are computed from the other studies. `interpreter_facts`: the free-threaded
    environment's facts file (what it left out); `unplanned`: {study: why not run}.
    """
    summary, timings = read_table(summary_path), read_table(timings_path)
    check_derived(summary, timings, summary_path, timings_path)
    other = interpreters.interpreter_studies(summary)
    own_summary, own_timings = summary[~summary.study.isin(other)], timings[~timings.study.isin(other)]
    table = conclusion.implementation_table(own_summary, own_timings, baselines)
    flagged = flagged_cells(summary)
    defects = workshop.defects(own_summary, own_timings, overlapping_jobs(timings), flagged)
    rows, sentence = workshop.headline(own_summary, own_timings)
    threads = interpreters.threads_table(summary, timings)
    headline = (rows + interpreters.headline_rows(threads), sentence)
    left_out = {}
    if interpreter_facts:
        with open(interpreter_facts, encoding="utf-8") as f:
            left_out = json.load(f)["left_out"]
    text = conclusion.conclusion_markdown(table, defects, flagged, conclusion.sampling_facts(timings), headline,
                                          own_summary)
    text += "\n".join(interpreters.markdown(threads, left_out, unplanned)) + "\n"
    with atomic_path(csv_out) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(md_out) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    if front_page:
        template, out = front_page
        with open(template, encoding="utf-8") as f, atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8") as page:
            page.write(f.read() + conclusion.headline_rst(*headline))
