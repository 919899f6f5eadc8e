"""The editors' texts of a year: `<data>/tekster/<year>/<question>.md` and `innledning.md`.

Each text is filled in (placeholders) and checked against the publication; the files' SHA-256
go into the release's lineage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from krise_pipeline import editorial
from krise_pipeline.editorial import placeholders, verify
from krise_pipeline.metadata import codebook
from krise_pipeline.publication.model import Publication

TEXTS_DIR: Final = "tekster"
INTRODUCTION: Final = "innledning"
"""The text of the page's introduction (in place of the generated organisation sentences)."""
SUFFIX: Final = ".md"


@dataclass(frozen=True)
class EditorialText:
    year: int
    name: str
    """A question code, or INTRODUCTION."""
    path: Path
    source: str
    sha256: str

    @property
    def question(self) -> str | None:
        return None if self.name == INTRODUCTION else self.name


@dataclass(frozen=True)
class CheckedText:
    text: EditorialText
    rendered: placeholders.Rendered
    findings: tuple[verify.Finding, ...]


def texts_dir(data_dir: Path) -> Path:
    return Path(data_dir) / TEXTS_DIR


def year_texts(data_dir: Path, year: int) -> list[EditorialText]:
    """The texts of a year, by file name. A file that is not UTF-8 is an error naming it."""
    folder = texts_dir(data_dir) / str(year)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        raw = path.read_bytes()
        try:
            source = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from None
        out.append(EditorialText(year, path.stem, path, source, hashlib.sha256(raw).hexdigest()))
    return out


def lineage(data_dir: Path, years: Iterable[int]) -> dict[int, str]:
    """year -> JSON {file name: SHA-256} of its texts (for `releases.texts`)."""
    return {
        y: json.dumps({t.path.name: t.sha256 for t in year_texts(data_dir, y)}, sort_keys=True)
        for y in years
    }


def known_name(name: str) -> bool:
    return name == INTRODUCTION or name in {q.question for q in codebook.questions()}


def check(pub: Publication, text: EditorialText) -> CheckedText:
    """Fill in a text's placeholders and check what it then says."""
    rendered = placeholders.render(text.source, pub, text.year)
    if not known_name(text.name):
        unknown = verify.Finding(
            1, text.path.name, f"not a question of the page nor {INTRODUCTION}{SUFFIX}: the text is not shown",
            ", ".join(q.question for q in codebook.questions()), 0, 0)
        return CheckedText(text, rendered, (unknown,))
    result = editorial.check_text(text.source, pub, text.year, text.question)
    return CheckedText(text, rendered, result.findings)


def check_year(pub: Publication, data_dir: Path, year: int) -> list[CheckedText]:
    return [check(pub, t) for t in year_texts(data_dir, year)]
