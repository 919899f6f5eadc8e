"""The page's sections in the published order: their headings, the questions each shows, the law
they cite and the share paragraphs under them. The preview draws them; the editorial check reads
their headings as context for hand-written texts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from krise_pipeline.language import texts
from krise_pipeline.metadata import contract
from krise_pipeline.publication.model import Publication

ShareText = Callable[[Publication, int], str | None]


@dataclass(frozen=True)
class ShareBlock:
    heading: str
    paragraph: ShareText
    populations: tuple[str, ...] = ()  # whose acknowledged changes are noted beside the block


@dataclass(frozen=True)
class Section:
    anchor: str
    heading: str
    questions: tuple[str, ...]
    context: tuple[str, ...] = ()
    shares: tuple[ShareBlock, ...] = ()


SECTIONS: Final = (
    Section(
        "botilbud-for-voksne", "Botilbud for voksne", ("tilbud_beboere", "mal_beboere"),
        ("Kommunene skal sørge for et likeverdig tilbud til kvinner og menn. Dette betyr ikke nødvendigvis at "
         "de skal ha samme tilbud, men et tilbud som er tilrettelagt ut fra kjønnsspesifikke behov (Veileder "
         "til krisesenterloven s. 14).",),
        (ShareBlock("Bistand under oppholdene til voksne beboere", texts.adult_paragraph,
                    ("voksne_opphold", "beboere")),),
    ),
    Section(
        "tilbud-til-barn", "Tilbud til barn", ("tilbud_barn", "mal_barn"),
        ("I henhold til krisesenterloven skal kommunen ta vare på barn på en måte som er tilpasset deres "
         "behov, og sørge for at barns rettigheter ivaretas under opphold i krisesentertilbudet (§ 3).",),
        (ShareBlock("Bistand under oppholdene til barn", texts.child_paragraph, ("barn_opphold", "barn")),
         ShareBlock("Bistand til barn har sammenheng med alder", texts.age_paragraph)),
    ),
    Section(
        "dagtilbudet", "Dagtilbudet", ("tilbud_dagbrukere", "prosedyre_dagbrukere"),
        ("Ifølge krisesenterloven (§ 2) skal krisesentrene gi et dagtilbud med støtte, råd og veiledning. "
         "Dagtilbudet retter seg mot personer som kun bruker krisesentertilbudet for samtaler og "
         "rådgivning, og personer som tidligere har bodd på senteret og trenger støtte i en "
         "reetableringsfase.",),
        (ShareBlock("Bistand ved dagsbesøkene", texts.visit_paragraph, ("dagsbesok", "dagbrukere")),),
    ),
    Section(
        "tilbud-til-parorende", "Tilbud til pårørende", ("tilbud_parorende",),
        ("Krisesentrene er ikke pålagt å gi tilbud til pårørende.",),
    ),
    Section(
        "sikkerhetstiltak", "Sikkerhetstiltak ved krisesentrene", ("sikkerhetstiltak", "politivurdering"),
        ("I krisesenterlovens § 2 er det presisert at kommunene skal sørge for et trygt botilbud. Beskyttelse "
         "er et hovedelement i krisesentertilbudet.",),
    ),
    Section(
        "brukermedvirkning", "Rutiner for brukermedvirkning", ("brukermedvirkning",),
        ("Krisesenterlovens § 3 omfatter krav om individuell tilrettelegging, noe som forutsetter "
         "brukermedvirkning.",),
    ),
    Section(
        "informasjonsarbeid", "Utadrettet informasjonsarbeid",
        ("informasjonsarbeid", "utdanningsinstitusjoner", "nettside"),
        ("Ifølge kommuneloven (§ 4) skal kommuner, og krisesentrene, aktivt informere om sin virksomhet.",),
    ),
)
OTHER_SECTION: Final = Section("andre-sporsmal", "Andre spørsmål", ())


def page_sections(pub: Publication) -> list[Section]:
    """The sections that have something to show, plus any published question no section names."""
    placed = {q for s in SECTIONS for q in s.questions} | {contract.ORGANISERING}
    out: list[Section] = []
    for s in SECTIONS:
        present = tuple(q for q in s.questions if pub.has_question(q))
        if present or s.shares:
            out.append(Section(s.anchor, s.heading, present, s.context, s.shares))
    rest = tuple(q.question for q in pub.questions if q.question not in placed)
    if rest:
        out.append(Section(OTHER_SECTION.anchor, OTHER_SECTION.heading, rest))
    return out
