"""Parallel image processing as a problem (the workshop's second notebook): read N
random RGB PNG images, rotate each by 45 degrees with scipy.ndimage.rotate, write each
result as PNG.

An instance is {images, size, seed}; its name is images{N}_size{S}_seed{s}. Image i is
one dataset file, size{S}_seed{s}_img{i:04d}.png: the i-th image drawn from one
RandomState(seed) stream, as the workshop drew its 100 images after np.random.seed(42),
so every instance of a size and seed shares its first images. A solve writes its
outputs to a scratch folder of the job (under TMPDIR), after removing the previous
call's, and is right if every output decodes to exactly scipy's rotation of its input
(the reference keeps a SHA-256 digest of each). Tasks are ranges of images; every
answer carries the seconds spent reading, rotating and writing (summed over workers).
"""

import atexit
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from scipar.atomic import atomic_path
from scipar.files import open_regular
from scipar.npz import DatasetError
from scipar.problems.interface import Implementation, Problem, VerificationError

PHASES = ("read", "rotate", "write")


def image_name(size, seed, index):
    return f"size{size}_seed{seed}_img{index:04d}.png"


def image_params(name):
    match = re.fullmatch(r"size(\d+)_seed(\d+)_img(\d+)\.png", name)
    if not match:
        raise ValueError(f"not an image dataset name: {name!r} (expected size<S>_seed<s>_img<i>.png)")
    return [int(x) for x in match.groups()]


def random_image(size, seed, index):
    """Image `index` of the stream: the workshop's randint(0, 255, (512, 512, 3)), as uint8."""
    rng = np.random.RandomState(seed)
    for _ in range(index):
        rng.randint(0, 255, (size, size, 3))
    return rng.randint(0, 255, (size, size, 3)).astype(np.uint8)


@dataclass(frozen=True)
class ImageSet:
    """The input files of an instance and where a solve writes its outputs."""

    inputs: tuple
    outputs: tuple


def _scratch_folder():
    folder = tempfile.mkdtemp(prefix="scipar-images-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _digest(image):
    return np.frombuffer(hashlib.sha256(np.ascontiguousarray(image).tobytes()).digest(), dtype=np.uint8)


class Images(Problem):
    name = "images"
    description = "read, rotate by 45 degrees and write PNG images (the workshop's image notebook)"
    work_unit = "images"
    parameters = {
        "type": "object",
        "additionalProperties": False,
        "required": ["images", "size", "seed"],
        "properties": {
            "images": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 2},
            "seed": {"type": "integer", "minimum": 0},
        },
    }

    def scale(self, params, workers):
        return params | {"images": params["images"] * workers}

    def datasets(self, params):
        return {f"image{i}": image_name(params["size"], params["seed"], i) for i in range(params["images"])}

    def make_dataset(self, name, path):
        import imageio.v3 as iio

        with atomic_path(path, ".tmp.png") as tmp:
            iio.imwrite(tmp, random_image(*image_params(name)), extension=".png")

    def load(self, params, paths):
        inputs = tuple(paths[f"image{i}"] for i in range(params["images"]))
        for path in inputs:
            open_regular(path, DatasetError, "input image").close()
        folder = _scratch_folder()
        return ImageSet(inputs, tuple(os.path.join(folder, f"rotated{i:04d}.png") for i in range(len(inputs))))

    def describe(self, data):
        return dict(images=len(data.inputs))

    def reference(self, data):
        import imageio.v3 as iio
        from scipy import ndimage

        from scipar.problems.images.kernels import ANGLE

        rotated = [ndimage.rotate(iio.imread(path, extension=".png"), ANGLE) for path in data.inputs]
        return {"digest": np.stack([_digest(r) for r in rotated]), "shape": np.array([r.shape for r in rotated])}

    def check(self, answer, reference, data):
        import imageio.v3 as iio

        if len(reference["digest"]) != len(data.outputs):
            raise VerificationError(f"reference holds {len(reference['digest'])} images, the instance {len(data.outputs)}")
        for i, path in enumerate(data.outputs):
            if not os.path.exists(path):
                raise VerificationError(f"image {i}: no output file {path}")
            image = iio.imread(path, extension=".png")
            expected = tuple(int(n) for n in reference["shape"][i])
            if image.shape != expected:
                raise VerificationError(f"image {i}: output {path} has shape {image.shape}, expected {expected}")
            if not np.array_equal(_digest(image), reference["digest"][i]):
                raise VerificationError(f"image {i}: output {path} differs from scipy's rotation of {data.inputs[i]}")

    def work(self, data):
        return len(data.inputs)

    def tasks(self, data, pieces):
        if pieces == 1:  # a serial solve: no split (its cost is in every timed call)
            return [(0, len(data.inputs))]
        return [(int(c[0]), int(c[-1]) + 1) for c in np.array_split(np.arange(len(data.inputs)), min(pieces, len(data.inputs)))]

    def compute(self, impl, data, task, workers=1):
        seconds = np.zeros(len(PHASES))
        for i in range(*task):
            # Remove the previous call's output first, so that an image this call fails
            # to write is missing, not stale.
            if os.path.exists(data.outputs[i]):
                os.unlink(data.outputs[i])
            seconds += impl.kernel(data.inputs[i], data.outputs[i])
        return seconds

    def combine(self, data, parts):
        return dict(zip(PHASES, parts[0] if len(parts) == 1 else np.sum(parts, axis=0)))

    def phase_times(self, answer):
        return answer


IMAGES = Images()
PROBLEMS = [IMAGES]

IMPLEMENTATIONS = [
    # scipy.ndimage's C code and zlib inside imageio release the GIL for most of their work.
    Implementation("ndimage", "images", True, True, False,
                   "imageio (pillow) PNG read and write, scipy.ndimage.rotate by 45 degrees",
                   "scipar.problems.images.kernels:read_rotate_write"),
]
