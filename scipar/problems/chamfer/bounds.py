"""Cheap lower bounds of Chamfer distances, for skipping cluster pairs that cannot be nearest.

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


def cluster_boxes(S):
    """Centroids, box minima and box maxima of every cluster of a ClusterSet: (k, 3) each."""
    starts = S.offsets[:-1]
    centroids = np.add.reduceat(S.points, starts) / S.sizes[:, None]
    return centroids, np.minimum.reduceat(S.points, starts), np.maximum.reduceat(S.points, starts)


def pruning_bounds(L, R, start=0, stop=None, workers=1):
    """The centroid bounds of rows [start, stop) of L against R, (stop - start, |R|), and
    the boxes they came from: (bounds, L's boxes of those rows, R's boxes)."""
    from scipar.problems.chamfer._chamfer_cy import box_bounds

    stop = len(L) if stop is None else stop
    left = [np.ascontiguousarray(x[start:stop]) for x in cluster_boxes(L)]
    right = cluster_boxes(R)
    out = np.empty((stop - start, len(R)))
    box_bounds(*left, *right, workers, out)
    return out, left, right


def chamfer_lower_bounds(L, R, start=0, stop=None, workers=1):
    """(stop - start, |R|) centroid bounds of the Chamfer distances of rows [start, stop) of L."""
    return pruning_bounds(L, R, start, stop, workers)[0]


def mean_gap_bounds(L, R):
    """(|L|, |R|) mean-gap bounds of the Chamfer distances: the larger of the mean distance
    from each cluster's points to the other's box, in both directions."""
    from scipar.problems.chamfer._chamfer_cy import mean_gap_bounds as kernel

    (_, low_l, high_l), (_, low_r, high_r) = cluster_boxes(L), cluster_boxes(R)
    out = np.empty((len(L), len(R)))
    kernel(L.soa, L.offsets, low_l, high_l, R.soa, R.offsets, low_r, high_r, out)
    return out
