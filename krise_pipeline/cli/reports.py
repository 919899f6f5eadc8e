"""What the CLI prints after a run and for `diff`: the same facts the Dagster UI shows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from krise_pipeline.publication import ledger


def _records(value: Any) -> list[dict[str, object]]:
    records = getattr(value, "records", None)
    if records is None:
        return []
    return [dict(r.data) for r in records]


def labelled(row: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def check_summary(evaluations: Sequence[Any], limit: int = 5) -> tuple[str, int, int]:
    """(text, blocking failures, warning failures) of a run's asset-check evaluations."""
    latest: dict[tuple[str, str], Any] = {}
    for e in evaluations:  # a check evaluated in several runs: the last evaluation counts
        latest[(e.asset_key.to_user_string(), e.check_name)] = e
    blocking = [e for e in latest.values() if e.blocking]
    warnings = [e for e in latest.values() if not e.blocking]
    bad_blocking = [e for e in blocking if not e.passed]
    bad_warnings = [e for e in warnings if not e.passed]
    lines = [f"Checks: {len(blocking) - len(bad_blocking)} of {len(blocking)} blocking passed; "
             f"{len(warnings) - len(bad_warnings)} of {len(warnings)} warnings passed."]
    for kind, failed in (("BLOCKING", bad_blocking), ("WARNING", bad_warnings)):
        for e in sorted(failed, key=lambda e: (e.asset_key.to_user_string(), e.check_name)):
            failures = e.metadata.get("failures")
            count = getattr(failures, "value", failures)
            lines.append(f"  {kind} {e.check_name} on {e.asset_key.to_user_string()}: {count} failing")
            rows = _records(e.metadata.get("examples"))
            lines += [f"    {labelled(r)}" for r in rows[:limit]]
            if isinstance(count, int) and count > min(limit, len(rows)):
                lines.append(f"    ... and {count - min(limit, len(rows))} more (see the check in the Dagster UI)")
    acked = [(e, r) for e in warnings for r in _records(e.metadata.get("acknowledged"))]
    for e, r in acked:
        lines.append(f"  acknowledged {e.check_name}: {labelled({k: v for k, v in r.items() if k != 'note'})}"
                     f" ({r.get('note')})")
    return "\n".join(lines), len(bad_blocking), len(bad_warnings)


# --- diff -------------------------------------------------------------------------------------------


def input_changes(current: Mapping[str, str], before: Mapping[str, str]) -> list[str]:
    """Delivered files added, removed or changed (by SHA-256) between two {file: sha256} maps."""
    out = []
    for name in sorted(set(current) | set(before)):
        old, new = before.get(name), current.get(name)
        if old == new:
            continue
        if old is None:
            out.append(f"{name}: new file (sha256 {str(new)[:12]})")
        elif new is None:
            out.append(f"{name}: no longer delivered (was sha256 {old[:12]})")
        else:
            out.append(f"{name}: changed (sha256 {old[:12]} -> {new[:12]})")
    return out


def parse_files(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def year_report(
    year: int,
    status: str,
    changes: Sequence[ledger.Change],
    against: str,
    frozen: bool,
    files: Iterable[str],
    limit: int = 50,
) -> list[str]:
    kinds = {k: [c for c in changes if c.kind == k] for k in ("added", "changed", "removed")}
    head = f"{year} ({status}; against {against}): "
    head += ", ".join(f"{len(v)} {k}" for k, v in kinds.items()) if changes else "no figure changes"
    lines = [head]
    lines += [f"  input {f}" for f in files]
    mark = "  FROZEN" if frozen else ""
    for kind in ("changed", "removed"):
        lines += [f"  {kind}: {c}{mark}" for c in kinds[kind][:limit]]
        if len(kinds[kind]) > limit:
            lines.append(f"  ... and {len(kinds[kind]) - limit} more {kind}")
    if kinds["added"]:
        tables = sorted({c.table for c in kinds["added"]})
        lines.append(f"  added: {len(kinds['added'])} figures in {', '.join(tables)}{mark}")
    return lines
