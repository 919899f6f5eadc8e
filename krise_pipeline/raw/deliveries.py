"""Delivery folders: which files make a year complete, and a content fingerprint of a folder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from krise_pipeline.metadata import contract


def delivery_files(year_dir: Path) -> dict[str, Path]:
    """The contract files present in a year folder (a CSV may be .csv or .csv.gz), by contract name."""
    found: dict[str, Path] = {}
    for name in contract.DELIVERY_FILES:
        forms = [name, f"{name}.gz"] if name.endswith(".csv") else [name]
        for form in forms:
            if (year_dir / form).is_file():
                found.setdefault(name, year_dir / form)
    return found


def is_complete(year_dir: Path) -> bool:
    return len(delivery_files(year_dir)) == len(contract.DELIVERY_FILES)


def fingerprint(year_dir: Path, known: dict[str, list[object]] | None = None) -> tuple[str, dict[str, list[object]]]:
    """SHA-256 over the names and contents of every file in the folder.

    `known` maps file name -> [size, mtime_ns, sha256] from an earlier call; a file whose size and
    mtime are unchanged is not read again. Returns (fingerprint, the updated map).
    """
    known = known or {}
    state: dict[str, list[object]] = {}
    h = hashlib.sha256()
    for path in sorted(p for p in year_dir.iterdir() if p.is_file()):
        st = path.stat()
        prev = known.get(path.name)
        if prev is not None and prev[0] == st.st_size and prev[1] == st.st_mtime_ns:
            digest = str(prev[2])
        else:
            digest = sha256_file(path)
        state[path.name] = [st.st_size, st.st_mtime_ns, digest]
        h.update(f"{path.name}\t{digest}\n".encode())
    return h.hexdigest(), state


def published_years(statuses: dict[int, str], ledger_years: list[int]) -> list[int]:
    """Years marked publisert/revidert in releases.csv, or recorded in the ledger."""
    return sorted({y for y, s in statuses.items() if s in contract.PUBLISHED_STATUSES} | set(ledger_years))


def missing_delivery_message(missing: list[int], raw_dir: str) -> str:
    years = ", ".join(map(str, missing))
    return (f"{'year' if len(missing) == 1 else 'years'} {years} {'is' if len(missing) == 1 else 'are'} published, "
            f"but the delivery folder {raw_dir}/<year>/ is missing. A published year cannot be dropped: restore "
            "its folder from the restricted archive (the same files: their SHA-256 are in the ledger's "
            "entries.csv and the releases table) and run again. Nothing was changed.")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_identity(files: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(combined sha256, JSON of {file: sha256}) for a year's delivered files."""
    ordered = sorted(files)
    combined = hashlib.sha256("".join(f"{name}\t{sha}\n" for name, sha in ordered).encode()).hexdigest()
    return combined, json.dumps(dict(ordered), sort_keys=True)
