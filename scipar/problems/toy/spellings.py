"""The toy kernel in pure Python, spelt two ways that do the same arithmetic.

Only the standard library, so that scipar.problems.toy.contention can load this file
under any interpreter, scipar installed there or not.

- the workshop's: `(i + 4) ** 0.5`. The float constant 0.5 is one object of the code
  object, shared by every thread that runs it; on a free-threaded CPython (3.13t) every
  use of it updates its reference count, and threads that do so at once contend for
  one cache line;
- local sqrt: `sqrt(i + 4)`, math.sqrt bound to a local first: no object is shared
  between threads in the hot loop (small ints are immortal, locals are per thread).

Both round the same way: sqrt is correctly rounded, and so is pow(x, 0.5) for the
integers here (glibc); the check holds either to the closed form.
"""

import math


def overwrite(n):
    out = 0
    for m in range(n):
        for l in range(m):
            for j in range(l):
                for i in range(j):
                    i = i + 4
                    out = i ** (1 / 2)
                    out = out**2.0
    return out


def accumulate(n):
    out = 0.0
    for m in range(n):
        for l in range(m):
            for j in range(l):
                for i in range(j):
                    out += (i + 4) ** 0.5
    return out


def overwrite_local(n):
    sqrt, out = math.sqrt, 0
    for m in range(n):
        for l in range(m):
            for j in range(l):
                for i in range(j):
                    i = i + 4
                    out = sqrt(i)
                    out = out * out
    return out


def accumulate_local(n):
    sqrt, out = math.sqrt, 0.0
    for m in range(n):
        for l in range(m):
            for j in range(l):
                for i in range(j):
                    out += sqrt(i + 4)
    return out


WORKSHOP = {"overwrite": overwrite, "accumulate": accumulate}
LOCAL_SQRT = {"overwrite": overwrite_local, "accumulate": accumulate_local}
