"""Rounding, quantifiers and small Norwegian wording rules used by every export.

All functions are pure. Percentages are rounded half up (0.5 -> 1), never with Python's
`round` (banker's rounding). Where the integer numerator and base are known they are used
directly, so no floating-point error can move a rounding boundary.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

NEARLY_ALL_MAX_GAP: Final = 3
"""'nesten alle': at most this many centres short of the base ..."""
NEARLY_ALL_MIN_SHARE: Final = Decimal("0.9")
"""... and at least this share of the base (so 1 of 4 is never 'nesten alle')."""

SUPPRESSED: Final = ".."
NBSP: Final = "\u00a0"


def round_half_up(value: float | Decimal | int) -> int:
    """Round to the nearest integer, halves away from zero (2.5 -> 3, 0.5 -> 1, -0.5 -> -1).

    A float is taken at its shortest decimal representation (0.285 * 100 is 28.499999999999996
    as a float; `percent_of_share(0.285)` therefore goes through `Decimal(repr(...))`).
    """
    if isinstance(value, float):
        value = Decimal(repr(value))
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(n: int, base: int) -> int:
    """Whole percent of n out of base, half up, in exact integer arithmetic."""
    if base <= 0:
        raise ValueError("percent of an empty base")
    if n < 0 or n > base:
        raise ValueError(f"numerator {n} outside 0..{base}")
    return (200 * n + base) // (2 * base)


def percent_of_share(share: float) -> int:
    """Whole percent of a share in 0..1, half up."""
    return round_half_up(Decimal(repr(share)) * 100)


def quantifier(n: int, base: int) -> str | None:
    """The word for n centres out of base, or None when the count must be stated.

    - "alle": n == base (base > 0)
    - "nesten alle": base - 3 <= n <= base - 1 and n >= 90 % of base
    - "ingen": n == 0 (base > 0)
    """
    if base <= 0:
        return None
    if n == base:
        return "alle"
    if n == 0:
        return "ingen"
    if base - NEARLY_ALL_MAX_GAP <= n < base and Decimal(n) >= NEARLY_ALL_MIN_SHARE * base:
        return "nesten alle"
    return None


def tenths_phrase(pct: int) -> str:
    """A whole percent as "x av 10" for running text.

    k = pct / 10 rounded half up, d = pct - 10 * k (-5..4):
    d == 0 -> "k av 10"; d == -1 or 1 -> "omtrent k av 10"; d <= -2 -> "knapt k av 10";
    d >= 2 -> "drøyt k av 10". Ends: 0 -> "ingen", 1-4 -> "færre enn 1 av 10",
    95-99 -> "nesten alle", 100 -> "alle".
    """
    if not 0 <= pct <= 100:
        raise ValueError(f"percent {pct} outside 0..100")
    if pct == 0:
        return "ingen"
    if pct == 100:
        return "alle"
    if pct >= 95:
        return "nesten alle"
    if pct < 5:
        return "færre enn 1 av 10"
    k = (pct + 5) // 10
    d = pct - 10 * k
    if d == 0:
        return f"{k} av 10"
    if abs(d) == 1:
        return f"omtrent {k} av 10"
    if d < 0:
        return f"knapt {k} av 10"
    return f"drøyt {k} av 10"


def format_int(n: int) -> str:
    """Norwegian thousands separator (non-breaking space): 13586 -> '13 586'."""
    return f"{n:,}".replace(",", NBSP)


def join_nb(parts: list[str] | tuple[str, ...]) -> str:
    """'a', 'a og b', 'a, b og c'."""
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " og " + parts[-1]


def lower_first(label: str) -> str:
    """A label inside a sentence: first letter lower case unless it starts an acronym (SARA, ICDP)."""
    if len(label) >= 2 and label[0].isupper() and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def centres(n: int, word: str = "senter") -> str:
    """'1 senter', '5 sentre'; word may be 'krisesenter'."""
    plural = word[:-2] + "re" if word.endswith("er") else word
    return f"{format_int(n)} {word if n == 1 else plural}"
