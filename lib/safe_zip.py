"""Reading uploaded zips safely: in memory, with limits on count, size, ratio and nesting.

Nothing is ever extracted by the names an archive gives, so no path can reach the file system;
names that try to (absolute, drive letters, `..`) make the whole archive refused anyway.
Sizes are counted as bytes really come out, never taken from the archive's own headers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from lib.errors import PortalError

MB = 1024 * 1024
_CHUNK = 64 * 1024
_IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # operating-system litter in zips
_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class UploadLimits:
    """How much an upload may hold: per file, per archive and in total."""

    max_file_bytes: int = 25 * MB
    max_files: int = 2000
    max_total_bytes: int = 400 * MB
    max_ratio: int = 100  # expanded / compressed size of one member past 1 MB
    max_depth: int = 2  # 1: the uploaded zip only; 2: zips inside it too


class Budget:
    """What a whole upload may still expand to, shared by its nested archives."""

    def __init__(self, limits: UploadLimits) -> None:
        self.files = limits.max_files
        self.bytes = limits.max_total_bytes

    def spend(self, size: int) -> None:
        """Count one more file of `size` bytes; PortalError past the upload's limits."""
        self.files -= 1
        self.bytes -= size
        if self.files < 0 or self.bytes < 0:
            raise PortalError("the upload holds too many files or expands to too much data")


def is_zip(data: bytes) -> bool:
    """True when the content starts like a zip archive."""
    return data[:4] == _MAGIC


def unsafe_name(name: str) -> bool:
    """True for a member name that points outside the archive's folder."""
    path = name.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:", path)) or (
        ".." in PurePosixPath(path).parts)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: UploadLimits) -> bytes:
    if info.flag_bits & 0x1:
        raise PortalError(f"{info.filename} is encrypted")
    # Small members may compress well; past 1 MB a high ratio is how zip bombs look.
    ceiling = min(limits.max_file_bytes, max(MB, info.compress_size * limits.max_ratio))
    out = io.BytesIO()
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            out.write(chunk)
            if out.tell() > ceiling:
                raise PortalError(f"{info.filename} expands suspiciously (a zip bomb?)")
    return out.getvalue()


def _open(name: str, data: bytes, limits: UploadLimits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise PortalError(f"{name} is not a readable zip") from None
    if len(infos) > limits.max_files:
        raise PortalError(f"{name} holds more than {limits.max_files} files")
    for info in infos:
        if unsafe_name(info.filename):
            raise PortalError(f"{name} holds a file outside its folder ({info.filename!r})")
    return archive


def walk_zip(name: str, data: bytes, limits: UploadLimits, budget: Budget | None = None,
             depth: int = 1) -> Iterator[tuple[str, bytes, str | None]]:
    """(name, content, problem) of each file in a zip and in the zips inside it.

    A member over the per-file size is reported with a problem and skipped; anything that
    makes the archive unsafe (bomb, traversal, nesting, encryption) raises PortalError.
    """
    if depth > limits.max_depth:
        raise PortalError(f"{name} nests archives deeper than {limits.max_depth} levels")
    budget = budget or Budget(limits)
    archive = _open(name, data, limits)
    for info in archive.infolist():
        if info.is_dir() or any(mark in info.filename for mark in _IGNORED):
            continue
        inner = f"{name}/{info.filename}"
        if info.file_size > limits.max_file_bytes:
            yield inner, b"", f"larger than {limits.max_file_bytes // MB} MB"
            continue
        try:
            content = _read_member(archive, info, limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
            raise PortalError(f"{name} is damaged ({info.filename} cannot be read)") from None
        budget.spend(len(content))
        if is_zip(content):
            yield from walk_zip(inner, content, limits, budget, depth + 1)
        else:
            yield inner, content, None
