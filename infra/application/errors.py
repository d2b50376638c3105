"""What the engine says when it will not do what was asked."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class AppError(Exception):
    """A one-line answer for the person who asked, with nothing changed.

    `code` is the CLI's exit status for it: 1 refused or failed, 2 bad input.
    """

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class IdTaken(AppError):
    """A new item's id that was used before: its audit stream is never reused."""


def typed(cls: type[T], **values: Any) -> T:
    """A command's typed input from the values given; the first thing wrong with them is one line (code 2)."""
    from pydantic import ValidationError

    try:
        return cls(**values)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        raise AppError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", 2) from None


class NotSignedIn(AppError):
    """A request with no proof of who sent it, or a proof that no longer holds: sign in (again)."""


def not_yourself(signed_in: str, named: str) -> AppError:
    """A request that names someone other than the person signed in: refused, whatever door it came by."""
    return AppError(f"refused: you are signed in as {signed_in}, so you cannot act as {named}")
