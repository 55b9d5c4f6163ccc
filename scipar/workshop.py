"""The numbers the 2018 workshop printed, on its machine (docs/workshop.md says where each is from).

They are shown beside scipar's measurements, always labelled as the workshop's, never
used in a computation.
"""

SOURCE = "workshop 2018 (printed, its machine)"

# Sequential Chamfer solve of the 1,090-point problem, mean wall seconds.
CHAMFER_SECONDS = {"python": 8.50, "mapreduce": 7.77, "numba-workshop": 7.53e-2}
CHAMFER_SPEEDUP = {"python": 1.0, "mapreduce": 8.50 / 7.77, "numba-workshop": 113.0}

# Toy kernel, n = 200, mean wall seconds (overwrite body: the workshop's only one).
TOY_SECONDS = {"python": 27.3, "cython": 8.18, "numba-gil": 1.15e-2, "numba-nogil": 1.12e-2}

# GIL demo, 32 calls over 16 workers, n = 1000.
GIL = {
    ("numba-gil", "threads"): dict(wall_s=15.85, cpu_s=15.46, utilisation=0.97),
    ("numba-nogil", "threads"): dict(wall_s=1.28, cpu_s=16.18, utilisation=12.7),
    ("numba-nogil", "processes"): dict(wall_s=6.11, cpu_s=0.21, utilisation=0.035),
}

# "Weak scaling" (really strong scaling) of the 83,219-point problem: CPU/wall, which it
# called speedup (defect 5), by thread count.
UTILISATION_BY_THREADS = {2: 1.78, 4: 3.37, 8: 6.22, 16: 12.5, 32: 17.6}
# "Strong scaling" (really a size sweep) at 4 threads: CPU/wall by point count.
UTILISATION_BY_POINTS = {689: 2.43, 1219: 3.11, 2558: 3.64, 5107: 3.84, 10565: 3.69}

CONCLUSION = "sequential x15, parallel 0.7 per extra thread, total x15 * 0.7N, 'x300 for our use case'"
