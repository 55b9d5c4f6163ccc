"""Cheap lower bounds of Chamfer distances, for skipping cluster pairs that cannot be nearest.

For clusters A and B, let b(a) be the point of B nearest to a. Then
    mean_a |a - b(a)|  >=  |mean_a (a - b(a))|  =  |centroid(A) - mean_a b(a)|,
and mean_a b(a) lies in the convex hull of B, inside B's bounding box. So the directed
mean from A is at least the distance from A's centroid to B's box, and the symmetric
Chamfer distance (the larger directed mean) is at least the larger of the two.
"""

import numpy as np


def cluster_boxes(S):
    """Centroids, box minima and box maxima of every cluster of a ClusterSet: (k, 3) each."""
    starts = S.offsets[:-1]
    centroids = np.add.reduceat(S.points, starts) / S.sizes[:, None]
    return centroids, np.minimum.reduceat(S.points, starts), np.maximum.reduceat(S.points, starts)


def chamfer_lower_bounds(L, R, start=0, stop=None, workers=1):
    """(stop - start, |R|) lower bounds of the Chamfer distances of rows [start, stop) of L."""
    from scipar.problems.chamfer._chamfer_cy import box_bounds

    stop = len(L) if stop is None else stop
    left = [np.ascontiguousarray(x[start:stop]) for x in cluster_boxes(L)]
    out = np.empty((stop - start, len(R)))
    box_bounds(*left, *cluster_boxes(R), workers, out)
    return out
