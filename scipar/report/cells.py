"""Picking cells and samples out of the tables, and writing numbers with their intervals."""

import numpy as np

from scipar.measure.stats import ratio_ci
from scipar.report.summary import process_samples
from scipar.workflow.interpreters import DEFAULT


def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    if 1e3 <= abs(x) < 1e9:  # 3,840 rather than 3.84e+03
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def with_ci(x, low, high):
    """"2.1 [1.9, 2.3]": a number and its 95 % interval, or n/a."""
    return "n/a" if np.isnan(x) else f"{fmt(x)} [{fmt(low)}, {fmt(high)}]"


def where(table, **conditions):
    """The rows of `table` whose columns have the given values."""
    for column, value in conditions.items():
        table = table[table[column] == value]
    return table


def samples(timings, column="wall_s", **conditions):
    """The samples of the rows that meet the conditions, one array per process."""
    return process_samples(where(timings, **conditions), column)


def over_instances(estimates):
    """ratio_ci of each instance's sample pairs; the median point over instances
    (seeds), and an interval from the lowest low to the highest high."""
    estimates = [pairs for pairs in estimates if all(len(n) and len(d) for n, d in pairs)]
    if not estimates:
        return np.nan, np.nan, np.nan
    values = np.array([ratio_ci(*pairs) for pairs in estimates]).reshape(len(estimates), 3)
    return float(np.median(values[:, 0])), float(values[:, 1].min()), float(values[:, 2].max())


def cell_label(r):
    """"strong L50-35-1_R30-23-2 numba threads x2": a summary row, in words."""
    return (f"{r['study']} {r['problem']} {r['impl']}{'' if r['interpreter'] == DEFAULT else ' ' + r['interpreter']} "
            f"{r['backend']} x{r['workers']}")


def flagged_cells(summary):
    """The cells whose numbers deserve less trust, with the reasons (pyperf's warnings)."""
    flagged = summary[summary["flags"].fillna("") != ""]
    return [(cell_label(r), r["flags"]) for r in flagged.to_dict("records")]


def flags_of(summary, column="flags", **conditions):
    """["<cell>: <its flags>"] of the flagged cells that meet the conditions: what a
    number computed from them must carry (`column`: speedup_flags for a speedup)."""
    rows = where(summary, **conditions).to_dict("records")
    return [f"{cell_label(r)}: {r[column]}" for r in rows if isinstance(r[column], str) and r[column]]


def joined(*flag_lists):
    """The flags of several lists, each once, in order, as one text."""
    return "; ".join(dict.fromkeys(f for flags in flag_lists for f in flags))


def marked(text, flags):
    """A number's text, marked when a cell it comes from is flagged: never shown plainly."""
    return f"{text} (flagged)" if flags else text
