"""Reading scipar's own .npz files (datasets, references) safely: only the arrays asked
for, never more than the file holds, every kind of damage as a DatasetError naming it.

scipar writes them with np.savez, which stores members uncompressed; a compressed
member is not scipar's, and refusing it bounds what a read decompresses by the file's
own size (a small zip bomb cannot cost gigabytes).
"""

import os
import zipfile

import numpy as np

from scipar.files import open_regular


class DatasetError(ValueError):
    """A data file is missing, truncated, corrupted or not the one asked for."""


def read_npz(path, keys=None, what="file"):
    """{key: array} of the .npz at `path`: `keys` only (all if None), each checked;
    `what` names the kind of file in errors."""
    path = os.fspath(path)
    with open_regular(path, DatasetError, what) as f:
        return _read(f, path, keys, what)


def _read(f, path, keys, what):
    if not zipfile.is_zipfile(f):  # np.load would return a plain .npy renamed .npz as one array
        f.seek(0)
        if f.read(6) == b"\x93NUMPY":
            raise DatasetError(f"{path}: a single .npy array, not an .npz archive of named arrays")
        raise DatasetError(f"{path}: truncated or corrupted file (not a readable zip archive)")
    f.seek(0)
    try:
        with np.load(f, allow_pickle=False) as stored:
            missing = sorted(set(keys or ()) - set(stored.files))
            if missing:
                raise DatasetError(f"{path}: not a scipar {what}, missing {missing}")
            wanted = keys or stored.files
            for key in wanted:
                info = stored.zip.getinfo(key + ".npy")
                if info.compress_type != zipfile.ZIP_STORED:
                    raise DatasetError(f"{path}: member {key!r} is compressed; scipar writes its files uncompressed")
            return {key: stored[key] for key in wanted}
    except DatasetError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError,
            NotImplementedError, RuntimeError) as err:  # RuntimeError: encrypted; NotImplementedError: odd methods
        raise DatasetError(f"{path}: truncated or corrupted file ({type(err).__name__}: {err})") from None
