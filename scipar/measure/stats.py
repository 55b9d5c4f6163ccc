"""Medians and ratios of medians with intervals that cover what a rerun would see.

One scheme for the whole project: a timing job stops sampling when the interval
computed here is narrow enough, and the summary, the conclusion and the figures report
the same intervals.

A cell's samples come from several fresh processes (scipar.measure.sampling): process
start (memory layout, JIT code placement) and the minute a process runs in move a
median by more than the spread of one process's samples. So the error of a median is
estimated by a hierarchical bootstrap (resample the processes, then the samples within
each), on the log scale, where ratios and products of medians add up:

- se: the bootstrap's standard deviation of log(median), times sqrt(K / (K - 1)),
  since resampling K processes understates the spread between them by that factor;
- the interval is a 95 % interval for the median of a rerun of the same job(s):
  log(point) +- t(df) * sqrt(2) * se. sqrt(2): the rerun has an error of its own, as
  large as this run's; t with K - 1 degrees of freedom: with K processes the spread
  between them is itself known only roughly.

A ratio or product of medians adds its cells' se^2 and takes Welch-Satterthwaite's
degrees of freedom. Values given as one array are one process's samples: the interval
then covers that process only (df = samples - 1), and callers flag it.
"""

import math

import numpy as np

BOOTSTRAP = 2000
Z975 = 1.959963984540054


def t975(df):
    """Student's t 0.975 quantile for df >= 1 (not necessarily whole) without scipy,
    whose import would cost every timing process a third of a second: exact at 1 and 2,
    log-linear (wider) between, Cornish-Fisher (A&S 26.7.5, within 0.8 %) from 2 on."""
    if df < 2:
        one, two = math.tan(math.pi * 0.475), 0.95 / math.sqrt(2 * 0.975 * 0.025)
        return math.exp(math.log(one) + (df - 1) * (math.log(two) - math.log(one)))
    z = Z975
    terms = [(z**3 + z) / 4, (5 * z**5 + 16 * z**3 + 3 * z) / 96, (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
             (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160]
    return z + sum(g / df ** (k + 1) for k, g in enumerate(terms))


def groups(values):
    """The samples as a list of arrays, one per process: a 1-D array is one process."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = [values]
    return [np.asarray(g, dtype=float) for g in values if len(g)]


def _bootstrap_log_medians(parts, rng):
    """Medians (log) of BOOTSTRAP hierarchical resamples: K processes drawn with
    replacement, then each drawn process's samples with replacement."""
    sizes = np.array([len(g) for g in parts])
    flat = np.concatenate(parts)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    k, widest = len(parts), sizes.max()
    picked = rng.integers(0, k, (BOOTSTRAP, k)) if k > 1 else np.zeros((BOOTSTRAP, 1), dtype=int)
    n = sizes[picked][..., None]  # samples of each drawn process
    slot = np.arange(widest)
    within = np.floor(rng.random((BOOTSTRAP, k, widest)) * n).astype(int)
    drawn = np.where(slot < n, flat[starts[picked][..., None] + within], np.nan)
    return np.log(np.nanmedian(drawn.reshape(BOOTSTRAP, -1), axis=1))


def spread(values, seed=0):
    """(median, se of log median, degrees of freedom, processes) of one cell's samples."""
    parts = groups(values)
    if not parts:
        return np.nan, np.nan, 0, 0
    pooled = np.concatenate(parts)
    median = float(np.median(pooled))
    k = len(parts)
    if median <= 0 or len(pooled) < 2:
        return median, np.inf, 0, k
    sd = float(np.std(_bootstrap_log_medians(parts, np.random.default_rng(seed)), ddof=1))
    if k > 1:
        return median, sd * np.sqrt(k / (k - 1)), k - 1, k
    n = len(pooled)
    return median, sd * np.sqrt(n / (n - 1)), n - 1, 1


def _interval(point, se, df, rerun=True):
    if not np.isfinite(se) or df < 1:
        return float(point), np.nan, np.nan
    reach = t975(df) * (np.sqrt(2) if rerun else 1) * se
    return float(point), float(point * np.exp(-reach)), float(point * np.exp(reach))


def median_ci(values, seed=0):
    """Median and the 95 % interval of a rerun's median."""
    median, se, df, _ = spread(values, seed)
    return _interval(median, se, df)


def relative_half_width(values, seed=0):
    """Half the width of the rerun interval of the median, relative to the median."""
    median, low, high = median_ci(values, seed)
    return (high - low) / 2 / median if median > 0 and np.isfinite(high) else float("inf")


def _combined(terms):
    """se and Welch-Satterthwaite degrees of freedom of a sum of independent logs."""
    variance = sum(se**2 for se, _ in terms)
    if not np.isfinite(variance) or any(df < 1 for _, df in terms):
        return np.inf, 0
    if variance == 0:
        return 0.0, min(df for _, df in terms)
    return float(np.sqrt(variance)), float(variance**2 / sum(se**4 / df for se, df in terms if se > 0))


def ratio_ci(*pairs, seed=0, rerun=True):
    """The product over (numerator, denominator) pairs of median(num) / median(den),
    with the 95 % interval of a rerun of every cell it uses.

    With one pair it is one ratio, T(1) / T(p); the interval of a product of ratios (a
    sequential speedup times a parallel one) carries the noise of all four cells.
    With `rerun` False, the interval is that of the ratio of the true medians (what
    ever more reruns would settle on): comparing two runs that were both measured,
    each with its own error (scipar compare).
    """
    point, terms = 1.0, []
    for numerator, denominator in pairs:
        top, bottom = spread(numerator, seed), spread(denominator, seed)
        point *= top[0] / bottom[0]
        terms += [top[1:3], bottom[1:3]]
    return _interval(point, *_combined(terms), rerun=rerun)


def too_good(value, low):
    """The flag of an efficiency above 1, with its likely cause, or ""."""
    if not value > 1:
        return ""
    cause = "noise: its interval reaches 1" if low <= 1 else "cache effects or frequency scaling: its whole interval is above 1"
    return f"too good: efficiency {value:.2f} > 1, likely {cause}"


def processes(values):
    """How many processes the samples came from."""
    return len(groups(values))


# -- one process's samples only (the performance benchmark, which runs in one process) --


def bootstrap_median_ci(values, seed=0):
    """Median and percentile-bootstrap 95 % interval of the median of one set of samples:
    what another draw of samples in the same process would give, no more."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    medians = np.median(values[rng.integers(0, len(values), (BOOTSTRAP, len(values)))], axis=1)
    return float(np.median(values)), float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def bootstrap_ratio_ci(numerator, denominator, seed=0):
    """median(num) / median(den), with a percentile-bootstrap interval, one process."""
    rng = np.random.default_rng(seed)
    num, den = (np.asarray(v, dtype=float) for v in (numerator, denominator))
    resampled = [np.median(v[rng.integers(0, len(v), (BOOTSTRAP, len(v)))], axis=1) for v in (num, den)]
    ratios = resampled[0] / resampled[1]
    point = float(np.median(num) / np.median(den))
    return point, float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))
