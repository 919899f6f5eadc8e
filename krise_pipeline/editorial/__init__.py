"""Editors' texts checked against the publication: claims, placeholders and the text folder.

`check_text(text, pub, year)` fills in a text's placeholders and lists every figure claim that the
published figures do not bear out (`claims` reads the text, `verify` holds each claim against the
figures, `placeholders` fills `{{ ... }}`); `folder` finds the texts of a year in
`<data>/tekster/<year>/`.
"""

from __future__ import annotations

from dataclasses import replace

from krise_pipeline.editorial.claims import read
from krise_pipeline.editorial.placeholders import render
from krise_pipeline.editorial.verify import Finding, Result, check_reading
from krise_pipeline.publication.model import Publication

__all__ = ["Finding", "Result", "check_text"]


def check_text(text: str, pub: Publication, year: int, question: str | None = None) -> Result:
    """Check every figure claim of `text` (about `year`) against `pub`.

    `question` is the question a text belongs to (its file name in the text folder); None reads
    it as a whole page or the page's introduction, starting before any heading. Offsets of the
    findings refer to the text with its placeholders filled in.
    """
    rendered = render(text, pub, year)
    result = check_reading(pub, read(rendered.text, year, question), year)
    if not rendered.problems:
        return result
    findings = sorted((*rendered.problems, *result.findings), key=lambda f: (f.line, f.start))
    return replace(result, findings=tuple(findings))
