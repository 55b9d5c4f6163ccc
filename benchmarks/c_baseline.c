/* The hardware yardstick for scipar's Chamfer kernels: a plain C loop over the same
 * data (structure of arrays, squared distances, minimum taken on squared distances,
 * both directions of a cluster pair in one pass, one square root per point).
 * benchmarks/chamfer_performance.py compiles it with gcc -O3 -march=native -ffast-math
 * and calls it through ctypes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static double fused_pair(const double *xs, const double *ys, const double *zs, int64_t na,
                         const double *xr, const double *yr, const double *zr, int64_t nb,
                         double *colmin) {
    double left = 0.0, right = 0.0;
    for (int64_t b = 0; b < nb; b++) colmin[b] = INFINITY;
    for (int64_t a = 0; a < na; a++) {
        double x = xs[a], y = ys[a], z = zs[a], rowmin = INFINITY;
        for (int64_t b = 0; b < nb; b++) {
            double dx = x - xr[b], dy = y - yr[b], dz = z - zr[b];
            double d2 = dx * dx + dy * dy + dz * dz;
            rowmin = d2 < rowmin ? d2 : rowmin;
            colmin[b] = d2 < colmin[b] ? d2 : colmin[b];
        }
        left += sqrt(rowmin);
    }
    for (int64_t b = 0; b < nb; b++) right += sqrt(colmin[b]);
    left /= na;
    right /= nb;
    return left > right ? left : right;
}

/* out[i * n_r + j] = Chamfer distance of cluster i of L and cluster j of R. */
int chamfer_matrix(const double *soa_l, int64_t points_l, const int64_t *off_l, int64_t n_l,
                   const double *soa_r, int64_t points_r, const int64_t *off_r, int64_t n_r,
                   double *out) {
    int64_t largest = 1;
    for (int64_t j = 0; j < n_r; j++)
        if (off_r[j + 1] - off_r[j] > largest) largest = off_r[j + 1] - off_r[j];
    double *colmin = malloc(largest * sizeof(double));
    if (!colmin) return 1;
    for (int64_t i = 0; i < n_l; i++) {
        int64_t a0 = off_l[i], na = off_l[i + 1] - a0;
        for (int64_t j = 0; j < n_r; j++) {
            int64_t b0 = off_r[j], nb = off_r[j + 1] - b0;
            out[i * n_r + j] = fused_pair(soa_l + a0, soa_l + points_l + a0, soa_l + 2 * points_l + a0, na,
                                          soa_r + b0, soa_r + points_r + b0, soa_r + 2 * points_r + b0, nb,
                                          colmin);
        }
    }
    free(colmin);
    return 0;
}
