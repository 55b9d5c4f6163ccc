"""The workshop's image-processing step, one image at a time: read a PNG, rotate it by
45 degrees, write the result as PNG (its parallel_image_processing notebook)."""

import time

import imageio.v3 as iio
from scipy import ndimage

ANGLE = 45


def read_rotate_write(source, target):
    """Rotate the PNG `source` into the PNG `target`; returns the seconds spent reading,
    rotating and writing, so that a study can see which part threads speed up."""
    start = time.perf_counter()
    image = iio.imread(source, extension=".png")
    read = time.perf_counter()
    rotated = ndimage.rotate(image, ANGLE)
    rotate = time.perf_counter()
    iio.imwrite(target, rotated, extension=".png")
    return read - start, rotate - read, time.perf_counter() - rotate
