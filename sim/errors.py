"""One error type for bad input, shared by the model, the sweep runner and the command line.

Every message is a single line naming the file, the dotted key and what is allowed; the command
line prints it and exits with status 2, without a traceback.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


def _printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped as Python escapes."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(ValueError):
    """Bad input: a malformed or unknown key, a value out of range, a missing or unreadable file.

    Attributes:
        file: The file the input came from (or a label such as ``--set``).
        key: The dotted key at fault, or ``""`` when the whole file is at fault.
        allowed: What would have been accepted.
    """

    def __init__(self, file: str | Path | None, key: str, allowed: str) -> None:
        self.file = _printable(str(file)) if file is not None else "<input>"
        self.key = _printable(key)  # a quoted TOML key may hold a newline: the message stays one line
        self.allowed = " ".join(_printable(str(allowed)).split())  # always one line
        where = f"{self.file}: " + (f"key '{self.key}': " if self.key else "")
        super().__init__(where + self.allowed)


class OutputError(InputError):
    """Results could not be written (disk full, quota, a read-only or vanished folder).

    Same one-line form as :class:`InputError`; the command line exits with status 1 (the input
    was fine, the machine was not) instead of 2.
    """


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


# --------------------------------------------------------------------------- reading TOML safely

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest scenario or experiment file read (they are a few kB); also stops ``/dev/zero``."""
MAX_KEY_PARTS = 64
"""Most parts of one dotted key. ``tomllib`` needs memory quadratic in them (20,000 parts: 1.5 GB)."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and tables in a value (``tomllib`` itself recurses, and so does copying)."""


def _longest_dotted_key(text: str) -> tuple[int, int]:
    """(parts, line number) of the dotted key with the most parts on a ``key = value`` line."""
    best = (0, 0)
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.count(".") < MAX_KEY_PARTS:  # cheap pre-filter: most lines cannot be a problem
            continue
        parts, i, n = 1, 0, len(line)
        quote = ""
        while i < n:
            ch = line[i]
            if quote:
                if ch == "\\" and quote == '"':
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == ".":
                parts += 1
            elif ch in "=[#":
                break
            i += 1
        if parts > best[0]:
            best = (parts, lineno)
    return best


def _depth_problem(value: object, limit: int = MAX_DEPTH) -> str | None:
    """The dotted path of a value nested deeper than ``limit``, or None (iterative: no recursion)."""
    stack: list[tuple[object, str, int]] = [(value, "", 0)]
    while stack:
        v, path, depth = stack.pop()
        if depth > limit:
            return path
        if isinstance(v, dict):
            stack.extend((x, f"{path}.{k}" if path else str(k), depth + 1) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, f"{path}.{i}" if path else str(i), depth + 1) for i, x in enumerate(v))
    return None


def loads_toml(text: str, file: str | Path | None) -> dict:
    """Parse TOML text into a dict; any problem is a one-line :class:`InputError` (never a traceback).

    Besides malformed TOML this refuses what would make the parser itself misbehave: dotted keys
    of more than :data:`MAX_KEY_PARTS` parts (quadratic memory in ``tomllib``) and nesting deeper
    than :data:`MAX_DEPTH` (recursion).
    """
    import tomllib

    parts, lineno = _longest_dotted_key(text)
    if parts > MAX_KEY_PARTS:
        raise InputError(file, "", f"line {lineno}: a key of {parts} dotted parts; at most {MAX_KEY_PARTS}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(file, "", f"malformed TOML: {exc}") from None
    except RecursionError:
        raise InputError(file, "", f"arrays or tables nested too deeply (at most {MAX_DEPTH} levels)") from None
    where = _depth_problem(data)
    if where is not None:
        raise InputError(file, where, f"nested too deeply (at most {MAX_DEPTH} levels of arrays and tables)")
    return data


def read_text_file(path: Path, *, limit: int, kind: str, encoding: str = "utf-8") -> str:
    """Read a data file of at most ``limit`` bytes as text; ``kind`` names what is needed ("a .toml file").

    Raises:
        InputError: A missing, unreadable, oversized or non-UTF-8 file, in one line.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(path, "", "file not found") from None
    except IsADirectoryError:
        raise InputError(path, "", f"is a folder; {kind} is needed") from None
    except OSError as exc:
        raise InputError(path, "", f"cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise InputError(path, "", f"larger than {limit // 2**20} MB; {kind} is at most that")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(path, "", f"not UTF-8 text; {kind} is needed") from None


def read_toml_file(path: Path) -> tuple[str, dict]:
    """Read a TOML file (at most :data:`MAX_FILE_BYTES`): its text and its parsed content.

    Raises:
        InputError: A missing, unreadable, oversized, non-UTF-8 or malformed file, in one line.
    """
    text = read_text_file(path, limit=MAX_FILE_BYTES, kind="a .toml file")
    return text, loads_toml(text, path)
