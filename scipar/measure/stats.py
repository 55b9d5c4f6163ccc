"""Medians and ratios of medians with percentile-bootstrap 95 % intervals.

One sampling scheme for the whole project: a timing job stops sampling when the
interval computed here is narrow enough, and the summary reports the same interval.
"""

import numpy as np

BOOTSTRAP = 2000


def _resampled_medians(values, rng):
    values = np.asarray(values, dtype=float)
    picks = rng.integers(0, len(values), (BOOTSTRAP, len(values)))
    return np.median(values[picks], axis=1)


def _interval(distribution):
    return float(np.percentile(distribution, 2.5)), float(np.percentile(distribution, 97.5))


def median_ci(values, seed=0):
    """Median and percentile-bootstrap 95 % interval of the median."""
    medians = _resampled_medians(values, np.random.default_rng(seed))
    return (float(np.median(values)), *_interval(medians))


def relative_half_width(values, seed=0):
    """Half the width of the median's 95 % interval, relative to the median."""
    median, low, high = median_ci(values, seed)
    return (high - low) / 2 / median if median > 0 else float("inf")


def ratio_ci(*pairs, seed=0):
    """The product over (numerator, denominator) pairs of median(num) / median(den).

    Each sample set is resampled independently, so the interval of a product of ratios
    (a sequential speedup times a parallel one) carries the noise of all four. With
    one pair it is the interval of one ratio, T(1) / T(p).
    """
    rng = np.random.default_rng(seed)
    point, distribution = 1.0, np.ones(BOOTSTRAP)
    for numerator, denominator in pairs:
        point *= float(np.median(numerator) / np.median(denominator))
        distribution *= _resampled_medians(numerator, rng) / _resampled_medians(denominator, rng)
    return (point, *_interval(distribution))
