"""The warehouse's SQL files (one per SQL-built table, named in the registry)."""

from __future__ import annotations

from importlib import resources


def load(name: str, **params: str) -> str:
    """The text of `<name>.sql` with `{param}` placeholders filled in."""
    text = resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
    return text.format(**params) if params else text
