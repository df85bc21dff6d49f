"""The pages of one sync's video list, on disk, so memory does not grow with the account.

Workers add pages in whatever order they fetch them; readers take them back in list order, and a
second stream replays them without asking TikTok again. Without room on disk the pages stay in
memory instead: more memory, the same records and requests, and one warning saying so.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
import threading
from typing import IO, Any

import orjson

LOGGER = logging.getLogger("airbyte")

# Where a page lies: (offset, length) in the file, or the page itself when the disk refused it.
Entry = tuple[int, int] | bytes


class PageStore:
    """Append-only; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._end = 0
        self._disk_refused = False

    def add(self, page: Any) -> Entry:
        line = orjson.dumps(page)
        with self._lock:
            if self._disk_refused:
                return line
            try:
                if self._file is None:
                    # Lives as long as the listing (one sync); the OS removes it once closed.
                    self._file = tempfile.TemporaryFile()  # noqa: SIM115
                _write_all(self._file.fileno(), line, self._end)
            except OSError as error:
                self._refuse_disk(error)
                return line
            entry = (self._end, len(line))
            self._end += len(line)
            return entry

    def read(self, entry: Entry) -> Any:
        if isinstance(entry, bytes):
            return orjson.loads(entry)
        offset, length = entry
        assert self._file is not None
        return orjson.loads(os.pread(self._file.fileno(), length, offset))

    def _refuse_disk(self, error: OSError) -> None:
        self._disk_refused = True
        LOGGER.warning(
            "The connector could not keep the video list in a temporary file (%s), so it keeps "
            "it in memory. Set TMPDIR to a writable folder with free space to bound the memory "
            "a large account needs.",
            error.strerror or error,
        )


def _write_all(fd: int, data: bytes, offset: int) -> None:
    """A full disk may first take part of a page; the next write then says why it stopped."""
    rest = memoryview(data)
    while rest:
        written = os.pwrite(fd, rest, offset)
        if not written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        rest, offset = rest[written:], offset + written
