"""One error type for bad input, shared by the model, the sweep runner and the command line.

Every message is a single line naming the file, the dotted key and what is allowed; the command
line prints it and exits with status 2, without a traceback.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class InputError(ValueError):
    """Bad input: a malformed or unknown key, a value out of range, a missing or unreadable file.

    Attributes:
        file: The file the input came from (or a label such as ``--set``).
        key: The dotted key at fault, or ``""`` when the whole file is at fault.
        allowed: What would have been accepted.
    """

    def __init__(self, file: str | Path | None, key: str, allowed: str) -> None:
        self.file = str(file) if file is not None else "<input>"
        self.key = key
        self.allowed = " ".join(str(allowed).split())  # always one line
        where = f"{self.file}: " + (f"key '{key}': " if key else "")
        super().__init__(where + self.allowed)


def _dotted(loc: tuple) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    return ".".join(parts)


def from_validation_error(err: ValidationError, file: str | Path | None, prefix: str = "") -> InputError:
    """Turn the first problem of a pydantic ``ValidationError`` into a one-line :class:`InputError`."""
    first = err.errors(include_url=False)[0]
    key = _dotted(first.get("loc", ()))
    if prefix:
        key = f"{prefix}.{key}" if key else prefix
    kind = first.get("type", "")
    msg = first.get("msg", "invalid value")
    if kind == "extra_forbidden":
        allowed = f"unknown key; {msg.lower()}"
        ctx_fields = first.get("ctx", {}) or {}
        if "allowed" in ctx_fields:
            allowed += f"; allowed keys: {ctx_fields['allowed']}"
    elif kind == "missing":
        allowed = "required key is missing"
    else:
        got = first.get("input")
        got_s = repr(got)
        if len(got_s) > 60:
            got_s = got_s[:57] + "..."
        allowed = f"{msg} (got {got_s})"
    more = len(err.errors()) - 1
    if more > 0:
        allowed += f" [and {more} more problem{'s' if more > 1 else ''}]"
    return InputError(file, key, allowed)
