"""A small TOML writer for scenario files (the standard library reads TOML but does not write it)."""

from __future__ import annotations

import json
import math
from typing import Any


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("TOML scenario values must be finite")
        r = repr(v)
        return r if ("." in r or "e" in r) else r + ".0"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k)


def dumps(data: dict[str, Any], comments: dict[str, str] | None = None) -> str:
    """Write nested dicts (tables), lists of dicts (arrays of tables) and scalars as TOML text."""
    comments = comments or {}
    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)
                   and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))}
        for k, v in scalars.items():
            if isinstance(v, list) and not v and prefix == "" and k in ("shocks", "timeline"):
                continue
            if v is None:  # TOML has no null: an unset optional field (e.g. run.base) is left out
                continue
            c = comments.get(f"{prefix}.{k}" if prefix else k)
            lines.append(f"{_key(k)} = {_scalar(v)}" + (f"  # {c}" if c else ""))
        for k, v in d.items():
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            if isinstance(v, dict):
                lines.append("")
                lines.append(f"[{name}]")
                table(name, v)
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                for item in v:
                    lines.append("")
                    lines.append(f"[[{name}]]")
                    table(name, item)

    table("", data)
    return "\n".join(lines).lstrip("\n") + "\n"
