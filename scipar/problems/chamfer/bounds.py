"""Cheap lower bounds of Chamfer distances, for skipping cluster pairs that cannot be
nearest, and the guesses that order cython-pruned's work (pair_estimates).

For clusters A and B, let b(a) be the point of B nearest to a; b(a) lies in B's
bounding box. Two bounds of the directed mean from A follow, and the symmetric Chamfer
distance (the larger directed mean) is at least the larger of the two directions':

- the centroid bound, O(1) per pair:
      mean_a |a - b(a)|  >=  |mean_a (a - b(a))|  =  |centroid(A) - mean_a b(a)|,
  and mean_a b(a) lies in the convex hull of B, inside its box: at least the distance
  from A's centroid to B's box;
- the mean gap, O(|A| + |B|) per pair, tighter:
      mean_a |a - b(a)|  >=  mean_a dist(a, box(B)),
  and each point's own distance to the box bounds its term, so a solve that has
  computed some terms exactly can add the others' distances to the box.
"""

import numpy as np


def cluster_summaries(S, workers=1):
    """(centroids, per-axis standard deviations, typical spacing of the points, box
    minima, box maxima) of every cluster of a ClusterSet: (k, 3) each but the spacing,
    (k,): (product of the deviations / size)^(1/3)."""
    from scipar.problems.chamfer._chamfer_cy import cluster_summaries as kernel

    return kernel(S.soa, S.offsets, workers)


def pair_estimates(L, R, start=0, stop=None, workers=1, into=None):
    """What cython-pruned knows of rows [start, stop) of L against R before it computes
    a distance: (centroid bounds, likely distances, from_r, cluster_summaries of L (all
    its clusters), cluster_summaries of R); the matrices are (stop - start, |R|), in
    the three arrays `into` if given.

    Only the bounds are proofs. The rest are guesses that decide the order of the work,
    never its result:
    - the likely distance, the 2-Wasserstein distance of the clusters' axis-aligned
      normal fits, squared (|centroid difference|^2 + |spread difference|^2): the
      solver computes the likeliest pairs first, so that its limits start close to the
      minima;
    - from_r (int8), 1 where the directed mean from R's cluster is likely the larger:
      the solver takes that cluster's points as rows, so that it can abandon the pair
      on the direction that exceeds the limit. A directed mean from X to Y grows with
      Y's point spacing and with X's spread beyond Y's; the guess weighs them
      4 * spacing(Y) + sum over axes of max(0, spread(X) - spread(Y)), the weight that
      agreed best with the true larger direction on the paper problem (87 % of the
      pairs near a minimum).
    """
    from scipar.problems.chamfer._chamfer_cy import pair_estimates as kernel

    stop = len(L) if stop is None else stop
    left, right = cluster_summaries(L, workers), cluster_summaries(R, workers)
    rows = [np.ascontiguousarray(x[start:stop]) for x in left]
    shape = (stop - start, len(R))
    lower, likely, from_r = into or (np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.int8))
    kernel(*rows, *right, workers, lower, likely, from_r)
    return lower, likely, from_r, left, right


def outward_first(S, workers=1):
    """cython-pruned's copy of the points of ClusterSet S: each cluster's points from
    its outermost in, in eight bands of the squared Mahalanobis distance to the
    cluster's normal fit (its centroid and per-axis spread), the octiles of a normal
    cluster's. Returns (the points, (3, n) like S.soa; where), where[p] the position
    within its cluster, in the copy, of point p of S.

    Why: far points have far nearest neighbours in a similar cluster, so a pair that
    cannot be nearest is proved so after fewer of its points (pruned_rows)."""
    from scipar.problems.chamfer._chamfer_cy import outward_first as kernel

    centre, spread, *_ = cluster_summaries(S, workers)
    return kernel(S.soa, S.offsets, centre, spread, workers)


def chamfer_lower_bounds(L, R, start=0, stop=None, workers=1):
    """(stop - start, |R|) centroid bounds of the Chamfer distances of rows [start, stop) of L."""
    return pair_estimates(L, R, start, stop, workers)[0]


def mean_gap_bounds(L, R):
    """(|L|, |R|) mean-gap bounds of the Chamfer distances: the larger of the mean distance
    from each cluster's points to the other's box, in both directions."""
    from scipar.problems.chamfer._chamfer_cy import mean_gap_bounds as kernel

    (*_, low_l, high_l), (*_, low_r, high_r) = cluster_summaries(L), cluster_summaries(R)
    out = np.empty((len(L), len(R)))
    kernel(L.soa, L.offsets, low_l, high_l, R.soa, R.offsets, low_r, high_r, out)
    return out
