"""Build scipar's Cython kernels at install time, so no compiler is needed at run time.

Flags (documented in the README, "Build flags"):
- `-O3 -march=native` lets gcc use every vector unit of the CPU that builds the package;
  the package is meant to be built where it runs. Set SCIPAR_PORTABLE=1 to build for
  the baseline of the architecture instead (a wheel you can copy to other machines).
- The Chamfer kernel adds the flags that let gcc vectorise a floating-point *minimum*
  (finite math, no signed zeros, no traps). They do not allow reassociating sums, so
  every Chamfer distance is summed in the same order as the pure Python version.
- The toy kernel's accumulate variant also allows reassociation, like Numba's
  fastmath={"reassoc"}, so that the sum of square roots can be vectorised.
"""

import os
import sys

import Cython
import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup


def native_flags():
    if sys.platform == "win32":
        return ["/O2", "/openmp"]
    # -ffp-contract=fast (gcc's default, said explicitly for other compilers): a*b + c
    # may become one fused multiply-add, as Numba's fastmath "contract" allows.
    flags = ["-O3", "-fopenmp", "-fno-math-errno", "-ffp-contract=fast"]
    if not os.environ.get("SCIPAR_PORTABLE"):
        flags.append("-march=native")
    return flags


OPENMP_LINK = [] if sys.platform == "win32" else ["-fopenmp"]
VECTOR_MIN = ["-ffinite-math-only", "-fno-signed-zeros", "-fno-trapping-math"]
REASSOCIATE = ["-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"]
POSIX = sys.platform != "win32"


def compile_flags(extra):
    return native_flags() + (extra if POSIX else [])


def kernel(module, extra):
    return Extension(
        module,
        [module.replace(".", "/") + ".pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=compile_flags(extra),
        extra_link_args=OPENMP_LINK,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )


# Provenance: the Cython that compiled the kernels (the build environment's, which may
# differ from any Cython installed at run time) and the flags it used.
KERNELS = {"scipar.problems.chamfer._chamfer_cy": VECTOR_MIN, "scipar.problems.toy._toy_cy": REASSOCIATE}
with open(os.path.join("scipar", "_build_info.py"), "w") as f:
    f.write(f"CYTHON_VERSION = {Cython.__version__!r}\nFLAGS = {native_flags()!r}\n")
    # What each kernel may do to floating point, in the CSVs' build_flags column.
    flags = {module: " ".join(["cython:", *compile_flags(extra)]) for module, extra in KERNELS.items()}
    f.write(f"KERNEL_FLAGS = {flags!r}\n")

setup(
    ext_modules=cythonize(
        [kernel(module, extra) for module, extra in KERNELS.items()],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            # Both kernels share no mutable state between calls (their scratch is each
            # call's or each thread's own; pruned_rows shares one array through
            # atomics), so a free-threaded interpreter may keep its GIL off when it
            # imports them (README, "Free-threaded Python").
            "freethreading_compatible": True,
        },
    )
)
