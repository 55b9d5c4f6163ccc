"""A scipar plug-in in the short form: the Mandelbrot kernels, declared."""
import scipar
from mandelbrot_kernels import grid, numba_counts, numpy_counts, prange_counts, python_counts

mandelbrot = scipar.declare("mandelbrot", data=grid, reference="numpy", atol=0, split=scipar.Split("c"),
                            work=lambda c, iterations: c.size, work_unit="grid points")
mandelbrot.add("python", python_counts)
mandelbrot.add("numpy", numpy_counts, compiled=True)
mandelbrot.add("numba", numba_counts, compiled=True, releases_gil=True)
mandelbrot.add("prange", prange_counts, compiled=True, releases_gil=True, parallel_inside=True)
PROBLEMS, IMPLEMENTATIONS = [mandelbrot], mandelbrot.implementations
