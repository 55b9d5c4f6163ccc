"""How a job is timed: timer, sampling, parallel drivers, thread layers, noise checks,
provenance, and the timing job itself. Imports nothing, so that
`scipar.measure.layers.pin_threads` can run before NumPy or Numba is imported."""
