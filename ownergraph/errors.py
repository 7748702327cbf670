"""The one exception hierarchy of ownergraph.

Every error a user can meet derives from :class:`OwnergraphError`; the CLI turns it into one
line on stderr and exit status 1. Messages name the file, line or record, field and value, and
say what to do::

    OwnergraphError
     ├── InputError            bad input data (a file, a row, a value)
     │    ├── ShareError       a share outside 0–100, an inverted interval, unparseable
     │    ├── DateError        an unparseable or impossible date
     │    └── FormatError      a file whose format cannot be detected or is malformed
     ├── WorkspaceError        the workspace is missing, locked, corrupt or from a newer version
     ├── NotFoundError         an id, finding or regime that the workspace does not know
     └── EngineError           a backend (e.g. Neo4j) that is down, refuses or is too old
"""

from __future__ import annotations

__all__ = [
    "DateError",
    "EngineError",
    "FormatError",
    "InputError",
    "NotFoundError",
    "OwnergraphError",
    "ShareError",
    "WorkspaceError",
]


class OwnergraphError(Exception):
    """Base class: a problem the user can act on, described in one line."""


class InputError(OwnergraphError, ValueError):
    """Bad input: carries where it was found so messages can name file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | str | None = None,
        field: str | None = None,
        value: object = None,
        fix: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.field = field
        self.value = value
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}" if isinstance(self.line, int) else str(self.line))
        head = ":".join(where)
        parts = [head + ": " if head else ""]
        if self.field:
            parts.append(f"field {self.field!r}")
            if self.value is not None:
                parts.append(f" = {str(self.value)[:120]!r}")
            parts.append(": ")
        elif self.value is not None:
            parts.append(f"{str(self.value)[:120]!r}: ")
        parts.append(self.reason)
        if self.fix:
            parts.append(f" ({self.fix})")
        return "".join(parts)

    def located(
        self, *, file: str | None = None, line: int | str | None = None, field: str | None = None
    ) -> InputError:
        """Return a copy of this error with location details filled in where missing."""
        return type(self)(
            self.reason,
            file=self.file or file,
            line=self.line if self.line is not None else line,
            field=self.field or field,
            value=self.value,
            fix=self.fix,
        )


class ShareError(InputError):
    """A share that is not a percentage between 0 and 100 or an interval of such."""


class DateError(InputError):
    """A date that is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)."""


class FormatError(InputError):
    """A file whose format could not be detected, or which is malformed as a whole."""


class WorkspaceError(OwnergraphError):
    """The workspace cannot be opened or written."""


class NotFoundError(OwnergraphError, KeyError):
    """An id, finding or regime the workspace does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class EngineError(OwnergraphError):
    """A query engine (Neo4j) is unreachable, refuses the credentials, or is unsupported."""
