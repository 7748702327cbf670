"""Compressed input: gzip (``.gz``), bzip2 (``.bz2``) and zip archives, read as streams.

Nothing is ever extracted to disk: a ``.gz``/``.bz2`` file is decompressed on the fly, and a zip
archive is read member by member straight from the archive. Every archive is size-checked
(SPEC §11) before and while it is read:

* the uncompressed size an archive declares (a zip's central directory, a gzip's ISIZE trailer)
  must not exceed :data:`DEFAULT_MAX_BYTES` (20 GiB; ``OWNERGRAPH_MAX_UNCOMPRESSED_GIB`` raises
  it), and a zip member larger than 1 MiB must not declare more than :data:`MAX_RATIO` (1000:1)
  uncompressed bytes per compressed byte — more than deflate can reach on anything but a
  zip bomb;
* while reading, the bytes actually produced are counted: more than the limit, or (for gzip and
  bzip2, whose declared size cannot be trusted) more than 1000 times the compressed bytes read
  so far, stops the load with a :class:`~ownergraph.errors.FormatError` naming the member and
  the fix. Zip members cannot produce more than they declare (``zipfile`` enforces it).

Archives nested in archives, tar files (``.tar.gz``) and encrypted zip members are refused.

**How loaders read compressed input.** A loader that can parse a byte stream registers a
*stream parser* with :func:`register_stream`: it receives the :class:`Member` objects of one
load (a file, or the members of one archive), each of which can be opened — more than once —
as a binary stream. The registered format ``compressed`` (sniffed by magic bytes) sorts an
archive's members by the format their decompressed head sniffs as and hands each group to that
format's stream parser; a format without one is refused with a message saying so. The SEC 13F
and Wikidata loaders have stream parsers; other loaders gain compressed input by registering
one (their ``parse(path)`` stays as it is).

This module only reads: it parses nothing itself and writes nothing anywhere.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

from ownergraph.errors import FormatError, InputError
from ownergraph.loaders.base import LOADERS, Item, register

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_RATIO",
    "STREAM_PARSERS",
    "Member",
    "compressed_parser",
    "compression_of",
    "detect_compressed",
    "detect_inner_format",
    "is_compressed",
    "members_of",
    "open_members",
    "parse_compressed",
    "register_stream",
    "stream_members",
]

DEFAULT_MAX_BYTES = 20 * 1024**3
"""The most uncompressed bytes one archive may declare or produce (20 GiB)."""
MAX_RATIO = 1000
"""Uncompressed bytes per compressed byte beyond which an input is taken for a zip bomb."""
_RATIO_FLOOR = 1 << 20
"""Below this many uncompressed bytes the ratio is not checked (tiny files compress oddly)."""
_HEAD = 65536
_MAX_MEMBERS = 100_000
_SKIP_PARTS = ("__MACOSX",)

StreamParser = Callable[[Sequence["Member"]], Iterator[Item]]
STREAM_PARSERS: dict[str, StreamParser] = {}
"""Format name → parser of :class:`Member` objects (see :func:`register_stream`)."""


def register_stream(name: str) -> Callable[[StreamParser], StreamParser]:
    """Decorator: register the stream parser of format ``name`` (which must also be in LOADERS)."""

    def deco(fn: StreamParser) -> StreamParser:
        STREAM_PARSERS[name] = fn
        return fn

    return deco


def max_bytes_default() -> int:
    """The uncompressed-size limit: ``OWNERGRAPH_MAX_UNCOMPRESSED_GIB`` GiB, else 20 GiB."""
    raw = os.environ.get("OWNERGRAPH_MAX_UNCOMPRESSED_GIB", "").strip()
    try:
        return int(float(raw) * 1024**3) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


# -- what a file is ------------------------------------------------------------------------------


def compression_of(head: bytes) -> str | None:
    """``gzip``, ``bzip2``, ``zip`` or ``None``, from a file's first bytes.

    >>> compression_of(b"\\x1f\\x8b\\x08"), compression_of(b"PK\\x03\\x04"), compression_of(b"<?xml")
    ('gzip', 'zip', None)
    """
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and len(head) >= 10 and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    return None


def is_compressed(path: Path) -> bool:
    """Whether ``path`` is a gzip, bzip2 or zip file (by content, not name)."""
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        return compression_of(f.read(10)) is not None


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


# -- members -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One input a stream parser reads: a plain file, a decompressed ``.gz``, or a zip member."""

    name: str
    """The file name: ``infotable.xml`` (for ``infotable.xml.gz`` too), or the member's path in a zip."""
    display: str
    """How messages name it: the file path, ``x.xml.gz``, or ``archive.zip!dir/member.xml``."""
    size: int | None
    """The uncompressed size when known (declared by the archive)."""
    opener: Callable[[], IO[bytes]]
    path: Path
    """The file itself, or a path under the archive carrying the member's name (which does not
    exist: it is for sniffers and loaders that look at names)."""

    def open(self) -> IO[bytes]:
        """A fresh binary stream over the (decompressed) content; close it when done."""
        return self.opener()

    def head(self, n: int = _HEAD) -> bytes:
        """The first ``n`` (decompressed) bytes."""
        with self.open() as f:
            return f.read(n)


class _Counting(io.RawIOBase):
    """Counts the compressed bytes read from a file."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Guarded(io.RawIOBase):
    """A decompressed stream that stops at the size limit and at an absurd compression ratio."""

    def __init__(
        self,
        inner: IO[bytes],
        *,
        display: str,
        max_bytes: int,
        counter: _Counting | None = None,
        max_ratio: float = MAX_RATIO,
        closers: Sequence[IO[bytes] | zipfile.ZipFile] = (),
    ) -> None:
        self._inner = inner
        self._display = display
        self._max = max_bytes
        self._counter = counter
        self._ratio = max_ratio
        self._closers = closers
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(b))
        except (OSError, EOFError, zipfile.BadZipFile) as e:
            raise FormatError(
                f"damaged archive: {e}", file=self._display, fix="re-download the file"
            ) from None
        n = len(data)
        b[:n] = data
        self.produced += n
        if self.produced > self._max:
            raise FormatError(
                f"decompresses to more than the {_human(self._max)} limit",
                file=self._display,
                fix="check the file; if you trust it, set OWNERGRAPH_MAX_UNCOMPRESSED_GIB higher",
            )
        c = self._counter
        if c is not None and self.produced > _RATIO_FLOOR and self.produced > self._ratio * max(c.count, 1):
            raise FormatError(
                f"compression ratio over {self._ratio:.0f}:1 ({_human(self.produced)} from "
                f"{_human(c.count)}): refused as a likely zip bomb",
                file=self._display,
                fix="real data does not compress like this; check where the file came from",
            )
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                for c in self._closers:
                    c.close()
        super().close()


def _buffered(raw: io.RawIOBase) -> IO[bytes]:
    return io.BufferedReader(raw, buffer_size=1 << 16)


def _stream_opener(path: Path, kind: str, max_bytes: int, max_ratio: float) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the guard
        counter = _Counting(raw)
        buf = _buffered(counter)
        inner = cast(
            IO[bytes], gzip.GzipFile(fileobj=buf, mode="rb") if kind == "gzip" else bz2.BZ2File(buf, "rb")
        )
        guard = _Guarded(
            inner,
            display=str(path),
            max_bytes=max_bytes,
            counter=counter,
            max_ratio=max_ratio,
            closers=(buf,),
        )
        return _buffered(guard)

    return opener


def _inner_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".gzip", ".bz2", ".tgz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
    return name


def _check_gzip_trailer(path: Path, max_bytes: int, max_ratio: float) -> None:
    size = path.stat().st_size
    if size < 18:
        return
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        isize = int.from_bytes(f.read(4), "little")  # uncompressed size mod 2**32
    if isize > max_bytes:
        raise FormatError(
            f"declares {_human(isize)} uncompressed, over the {_human(max_bytes)} limit",
            file=str(path),
            fix="check the file; if you trust it, set OWNERGRAPH_MAX_UNCOMPRESSED_GIB higher",
        )
    if isize > _RATIO_FLOOR and isize > max_ratio * size:
        raise FormatError(
            f"declares {_human(isize)} uncompressed from {_human(size)} (over {max_ratio:.0f}:1): "
            "refused as a likely zip bomb",
            file=str(path),
            fix="real data does not compress like this; check where the file came from",
        )


def _safe_parts(name: str) -> list[str]:
    """A member name's parts without ``/``, ``..`` or drive letters (member paths stay under the
    archive's own path, which is a file, so they never name a real file)."""
    return [
        p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("/", "..", ".") and ":" not in p
    ]


def _skip(info: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(info.filename).parts
    return info.is_dir() or any(
        p in _SKIP_PARTS or (p.startswith(".") and p not in (".", "..")) for p in parts
    )


def _zip_infos(path: Path, zf: zipfile.ZipFile, max_bytes: int, max_ratio: float) -> list[zipfile.ZipInfo]:
    infos = [i for i in zf.infolist() if not _skip(i)]
    if len(infos) > _MAX_MEMBERS:
        raise FormatError(
            f"{len(infos)} members, more than {_MAX_MEMBERS}",
            file=str(path),
            fix="split the archive",
        )
    total = 0
    for i in infos:
        where = f"{path}!{i.filename}"
        if i.flag_bits & 0x1:
            raise FormatError("encrypted archive member", file=where, fix="decrypt the archive first")
        if i.file_size > max_bytes:
            raise FormatError(
                f"declares {_human(i.file_size)} uncompressed, over the {_human(max_bytes)} limit",
                file=where,
                fix="check the file; if you trust it, set OWNERGRAPH_MAX_UNCOMPRESSED_GIB higher",
            )
        if i.file_size > _RATIO_FLOOR and i.file_size > max_ratio * max(i.compress_size, 1):
            raise FormatError(
                f"declares {_human(i.file_size)} uncompressed from {_human(i.compress_size)} "
                f"(over {max_ratio:.0f}:1): refused as a likely zip bomb",
                file=where,
                fix="real data does not compress like this; check where the archive came from",
            )
        total += i.file_size
    if total > max_bytes:
        raise FormatError(
            f"members declare {_human(total)} uncompressed in all, over the {_human(max_bytes)} limit",
            file=str(path),
            fix="load the members separately, or set OWNERGRAPH_MAX_UNCOMPRESSED_GIB higher",
        )
    return infos


def _zip_member_opener(
    zf: zipfile.ZipFile | None, path: Path, info: zipfile.ZipInfo, max_bytes: int
) -> Callable[[], IO[bytes]]:
    display = f"{path}!{info.filename}"

    def opener() -> IO[bytes]:
        own = zf is None
        archive = zipfile.ZipFile(path) if own else zf
        assert archive is not None
        try:
            inner = archive.open(info)
        except (NotImplementedError, RuntimeError, zipfile.BadZipFile) as e:
            if own:
                archive.close()
            raise FormatError(
                f"cannot read archive member: {e}", file=display, fix="re-pack the archive with plain deflate"
            ) from None
        return _buffered(
            _Guarded(
                inner,
                display=display,
                max_bytes=min(max_bytes, info.file_size),
                closers=(archive,) if own else (),
            )
        )

    return opener


@contextmanager
def open_members(
    path: Path, *, max_bytes: int | None = None, max_ratio: float = MAX_RATIO
) -> Iterator[list[Member]]:
    """The members of a compressed file (size-checked), valid inside the ``with`` block.

    A ``.gz``/``.bz2`` file has one member (its name without the suffix); a zip has one per file
    (folders, ``__MACOSX`` and dot files skipped).
    """
    limit = max_bytes if max_bytes is not None else max_bytes_default()
    with open(path, "rb") as f:
        kind = compression_of(f.read(10))
    if kind in ("gzip", "bzip2"):
        if kind == "gzip":
            _check_gzip_trailer(path, limit, max_ratio)
        inner = _inner_name(path)
        yield [Member(inner, str(path), None, _stream_opener(path, kind, limit, max_ratio), path / inner)]
        return
    if kind != "zip":
        raise FormatError("not a gzip, bzip2 or zip file", file=str(path), fix="pass the file itself")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise FormatError(f"damaged zip archive: {e}", file=str(path), fix="re-download the file") from None
    with zf:
        infos = _zip_infos(path, zf, limit, max_ratio)
        yield [
            Member(
                i.filename,
                f"{path}!{i.filename}",
                i.file_size,
                _zip_member_opener(zf, path, i, limit),
                path.joinpath(*_safe_parts(i.filename)),
            )
            for i in infos
        ]


def members_of(path: Path) -> list[Member]:
    """A plain file as a one-member list (compressed files: use :func:`open_members`)."""
    p = path

    def opener() -> IO[bytes]:
        return open(p, "rb")

    return [Member(path.name, str(path), path.stat().st_size, opener, path)]


def detect_compressed(
    path: Path, *, max_bytes: int | None = None, max_ratio: float = MAX_RATIO
) -> tuple[str, Callable[[], IO[bytes]]]:
    """For a ``.gz``/``.bz2`` file or a one-member zip: the inner file name and an opener of its
    decompressed, size-guarded stream (each call opens a fresh one; close it when done)."""
    limit = max_bytes if max_bytes is not None else max_bytes_default()
    with open(path, "rb") as f:
        kind = compression_of(f.read(10))
    if kind in ("gzip", "bzip2"):
        if kind == "gzip":
            _check_gzip_trailer(path, limit, max_ratio)
        return _inner_name(path), _stream_opener(path, kind, limit, max_ratio)
    if kind != "zip":
        raise FormatError("not a gzip, bzip2 or zip file", file=str(path), fix="pass the file itself")
    with zipfile.ZipFile(path) as zf:
        infos = _zip_infos(path, zf, limit, max_ratio)
    if len(infos) != 1:
        raise FormatError(
            f"zip archive with {len(infos)} members",
            file=str(path),
            fix="read it with stream_members (or load it: each member is detected on its own)",
        )
    return infos[0].filename, _zip_member_opener(None, path, infos[0], limit)


def stream_members(
    path: Path, *, max_bytes: int | None = None, max_ratio: float = MAX_RATIO
) -> Iterator[tuple[str, IO[bytes]]]:
    """Each member of a compressed file in turn as ``(name, binary stream)``; a stream is closed
    when the next one is requested."""
    with open_members(path, max_bytes=max_bytes, max_ratio=max_ratio) as members:
        for m in members:
            with m.open() as f:
                yield m.name, f


# -- format detection inside archives ------------------------------------------------------------


def _sniff_member(m: Member) -> str | None:
    head = m.head()
    if compression_of(head):
        raise FormatError(
            "an archive inside an archive", file=m.display, fix="unpack the outer archive first"
        )
    if _is_tar(head):
        raise FormatError(
            "tar archives are not read",
            file=m.display,
            fix="re-pack the files as a zip, or compress each file with gzip",
        )
    for spec in LOADERS.values():
        if spec.name == "compressed":
            continue
        try:
            if spec.sniff(m.path, head):
                return spec.name
        except OSError:
            continue
    return None


def detect_inner_format(path: Path) -> str:
    """The format of a compressed file's content: the one format all members sniff as, or
    ``compressed`` when they differ (each member is then read in its own format)."""
    from ownergraph.loaders.base import _ensure_registered

    _ensure_registered()
    found: set[str] = set()
    with open_members(path) as members:
        for m in members:
            fmt = _sniff_member(m)
            if fmt is None:
                raise FormatError(
                    "cannot detect the format of this archive member",
                    file=m.display,
                    fix="pass --format with one of: " + ", ".join(sorted(LOADERS)),
                )
            found.add(fmt)
    if len(found) == 1:
        return found.pop()
    return "compressed"


def _no_stream(fmt: str, display: str) -> FormatError:
    return FormatError(
        f"the {fmt} loader cannot read compressed input yet",
        file=display,
        fix="decompress the file yourself and load the result"
        + (f"; formats that can: {', '.join(sorted(STREAM_PARSERS))}" if STREAM_PARSERS else ""),
    )


def parse_compressed(path: Path, fmt: str | None = None) -> Iterator[Item]:
    """Yield the records of a compressed file: every member in format ``fmt``, or each member in
    the format its decompressed head sniffs as (``fmt=None``)."""
    with open_members(path) as members:
        if fmt is not None and fmt != "compressed":
            parser = STREAM_PARSERS.get(fmt)
            if parser is None:
                raise _no_stream(fmt, str(path))
            yield from parser(members)
            return
        groups: dict[str, list[Member]] = {}
        for m in members:
            found = _sniff_member(m)
            if found is None:
                yield InputError(
                    "cannot detect the format of this archive member; skipped",
                    file=m.display,
                    fix="remove it from the archive, or load the archive with --format",
                )
                continue
            groups.setdefault(found, []).append(m)
        for name, group in groups.items():
            parser = STREAM_PARSERS.get(name)
            if parser is None:
                raise _no_stream(name, group[0].display)
        for name, group in groups.items():
            yield from STREAM_PARSERS[name](group)


def compressed_parser(path: Path, fmt: str) -> Callable[[Path], Iterator[Item]] | None:
    """For the workspace: the parser that reads ``path`` in format ``fmt`` when it is compressed,
    else ``None`` (the format's own parser reads it)."""
    if fmt == "compressed" or not is_compressed(path):
        return None

    def parse(p: Path) -> Iterator[Item]:
        return parse_compressed(p, fmt)

    return parse


def _sniff(path: Path, head: bytes) -> bool:
    return not path.is_dir() and compression_of(head) is not None


@register(
    "compressed",
    "gzip, bzip2 or zip archive of files in a format that reads streams (sec13f, wikidata, ...)",
    _sniff,
)
def parse_any_compressed(path: Path) -> Iterator[Item]:
    """Read a compressed file, detecting each member's format."""
    return parse_compressed(path, None)
