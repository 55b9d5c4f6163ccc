# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The toy kernel in typed Cython, both variants, run without the GIL.

The workshop compiled `i**(1/2)` with language level 2, where 1/2 is 0 and the body
computes i**0 (defect 1). With a C long `i`, Cython 3 still gave i**0 here (measured: the
kernel returned 1.0), so the power is taken explicitly on a double.
"""

from libc.math cimport sqrt


def overwrite(long n):
    cdef double out = 0
    cdef long m, l, j, i
    with nogil:
        for m in range(n):
            for l in range(m):
                for j in range(l):
                    for i in range(j):
                        i = i + 4
                        out = (<double> i) ** 0.5
                        out = out ** 2.0
    return out


def accumulate(long n):
    cdef double out = 0
    cdef long m, l, j, i
    with nogil:
        for m in range(n):
            for l in range(m):
                for j in range(l):
                    for i in range(j):
                        out += sqrt(i + 4)
    return out
