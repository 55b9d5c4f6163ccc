"""A scipar plug-in in the short form: what pairhist_kernels.py computes, declared."""
import scipar
from pairhist_kernels import grow, numba_rows, numpy_rows, pairs, python_rows, random_points, scipy_counts, threaded_rows

pairhist = scipar.declare("pairhist", data=random_points, reference=scipy_counts, atol=2, work=pairs,
                          work_unit="point pairs", scale=grow, split=scipar.Split("rows", combine="sum", strided=True))
pairhist.add("python", python_rows)
pairhist.add("numpy", numpy_rows, compiled=True)
pairhist.add("numba", numba_rows, compiled=True, releases_gil=True)
pairhist.add("threaded", threaded_rows, compiled=True, releases_gil=True, parallel_inside=True)
PROBLEMS, IMPLEMENTATIONS = [pairhist], pairhist.implementations
