"""Opening the files scipar reads: regular files only, read with a bound.

A path that names a FIFO blocks its reader in open() forever; one that names a device
(/dev/zero) feeds it without end. So a file is opened without blocking, checked to be a
regular file (a symlink to one is fine) on the descriptor itself, so that nothing can
swap it between the check and the read, and only then read.
"""

import os
import re
import stat

KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def open_regular(path, error, what="file", limit=None):
    """The file at `path`, opened for reading in binary mode, or `error` (an exception
    class) naming it: missing, not a regular file, or larger than `limit` bytes."""
    path = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise error(f"{path}: {what} does not exist") from None
    except OSError as err:
        raise error(f"{path}: cannot open the {what} ({err.strerror})") from None
    mode, size = os.fstat(fd).st_mode, os.fstat(fd).st_size
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise error(f"{path}: {kind}, not a regular file; scipar reads its {what} only from regular files")
    if limit is not None and size > limit:
        os.close(fd)
        raise error(f"{path}: {size:,} bytes, more than the {limit:,} a {what} may have")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_text(path, error, what="file", limit=1 << 20):
    """The text of a small regular file (UTF-8, undecodable bytes replaced), bounded."""
    with open_regular(path, error, what, limit) as f:
        return f.read(limit).decode("utf-8", errors="replace")


def safe_text(text, limit):
    """Text from outside scipar's code (a file's contents, a record) as inert text: only
    letters, digits and . / _ - @ + , = and spaces kept (every other character becomes
    ?), no leading = + - @, at most `limit` characters, cut with a note."""
    text = re.sub(r"[^\w./@+,= -]", "?", str(text))
    text = re.sub(r"^[=+@-]+", "", text)  # a spreadsheet would read a leading = + - @ as a formula
    return text if len(text) <= limit else text[:limit] + f"... (cut at {limit} characters)"


# A table scipar reads is its own: far below this. More is not a table of scipar's.
MAX_TABLE_BYTES = 1 << 30


def read_table(path, error=ValueError):
    """Read a scipar CSV, a regular file of bounded size (else `error` naming it): empty
    cells are missing values, "NA" or "nan" are not special."""
    import pandas as pd  # here: a round's process reads no table

    with open_regular(path, error, "table", MAX_TABLE_BYTES) as f:
        return pd.read_csv(f, keep_default_na=False, na_values=[""], encoding="utf-8")
