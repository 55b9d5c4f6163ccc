"""Write files so that a crash or an error never leaves half a file at the target path."""

import glob
import os
import tempfile
from contextlib import contextmanager


def _umask():
    mask = os.umask(0)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path, suffix=".tmp"):
    """Yield a temporary path beside `path`; rename it to `path` only on success.

    `suffix` should end with the extension writers insist on (np.savez adds ".npz").
    The temporary file is hidden and named after `path` (".name.XXXX.suffix"), so that
    one left by a writer killed outright (SIGKILL, power loss) is removed by the next
    write of the same file; the result gets the permissions the user's umask gives new
    files (mkstemp's are 0600 whatever the umask).
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    prefix = f".{name}."
    for stale in glob.glob(os.path.join(glob.escape(folder), glob.escape(prefix) + "*" + glob.escape(suffix))):
        os.unlink(stale)  # one writer per file (Snakemake's lock): nobody else's
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
