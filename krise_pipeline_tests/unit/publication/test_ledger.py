"""The release ledger as pure functions: reconcile, files on disk, vintages."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from krise_pipeline.publication import ledger

K1 = ("service_shares", "population=voksne_opphold, measure=inntakssamtale, breakdown=alle, category=alle", "n_with")
K2 = ("user_counts", "population=beboere, breakdown=alle, category=alle", "n_records")
IDENT = ledger.Identity("abc", '{"a.csv": "01"}', "cb", "deadbeef")


def frozen(values: dict[tuple[str, str, str], str], note: str = "Publisert juni 2024.") -> ledger.YearLedger:
    entry = ledger.Entry("2023-1", "2024-06-01", "publisert", note, "first publication")
    return ledger.YearLedger(2023, {k: (v, "2023-1") for k, v in values.items()}, (entry,), ())


def reconcile(ledgers: dict[int, ledger.YearLedger], computed: dict[int, ledger.Figures],
              statuses: dict[int, tuple[str, str]], **kw: object) -> ledger.Outcome:
    args: dict[str, object] = {"ledgers": ledgers, "computed": computed, "statuses": statuses,
                               "identities": {2023: IDENT}, "published": {}, "published_releases": {},
                               "today": "2026-12-03", **kw}
    return ledger.reconcile(**args)  # type: ignore[arg-type]


def test_a_published_year_is_frozen_at_its_ledger_figures() -> None:
    out = reconcile({2023: frozen({K1: "2421", K2: "2716"})}, {2023: {K1: "2422", K2: "2716"}},
                    {2023: ("publisert", "Publisert juni 2024.")})
    assert len(out.refusals) == 1 and "2023 is published (release 2023-1, 2024-06-01)" in out.refusals[0]
    assert "krise-pipeline release 2023 --status revidert" in out.refusals[0]
    assert [str(c) for c in out.frozen_changes] == [
        "service_shares 2023 [population=voksne_opphold, measure=inntakssamtale, breakdown=alle, category=alle] "
        "n_with: 2421 -> 2422"]
    assert not out.updates


def test_a_revision_is_recorded_and_then_frozen_again() -> None:
    start = frozen({K1: "2421", K2: "2716"})
    out = reconcile({2023: start}, {2023: {K1: "2422", K2: "2716"}}, {2023: ("revidert", "Rettet KS001.")})
    assert not out.refusals
    revised = out.updates[2023]
    assert revised.latest == ledger.Entry("2023-2", "2026-12-03", "revidert", "Rettet KS001.", "revision",
                                          "abc", '{"a.csv": "01"}', "cb", "deadbeef")
    assert revised.figures[K1] == ("2422", "2023-2") and revised.figures[K2] == ("2716", "2023-1")
    assert revised.revisions == (ledger.Revision("2023-2", *K1, "2421", "2422"),)
    # the same note again, and another change: refused, naming the release that used the note
    again = reconcile({2023: revised}, {2023: {K1: "2423", K2: "2716"}}, {2023: ("revidert", "Rettet KS001.")})
    assert len(again.refusals) == 1 and "already revised with this note (release 2023-2" in again.refusals[0]
    # a new note: a second revision
    second = reconcile({2023: revised}, {2023: {K1: "2423", K2: "2716"}}, {2023: ("revidert", "Rettet igjen.")})
    assert second.updates[2023].latest.release == "2023-3"
    assert [r.release for r in second.updates[2023].revisions] == ["2023-2", "2023-3"]
    # unchanged figures under the same note: nothing to do
    assert reconcile({2023: revised}, {2023: {K1: "2422", K2: "2716"}},
                     {2023: ("revidert", "Rettet KS001.")}).updates == {}


def test_added_and_removed_figures_count_as_changes() -> None:
    out = reconcile({2023: frozen({K1: "2421"})}, {2023: {K2: "2716"}}, {2023: ("publisert", "")})
    assert [(c.kind, c.table) for c in out.frozen_changes] == [("removed", "service_shares"), ("added", "user_counts")]


def test_first_publication_is_said_loudly_and_adoption_is_said() -> None:
    out = reconcile({}, {2023: {K1: "2421"}}, {2023: ("publisert", "Publisert.")})
    assert out.loud and out.loud[0].startswith("ATTENTION: 2023 is marked publisert but has no ledger entry")
    assert out.updates[2023].figures == {K1: ("2421", "2023-1")}
    # an older publication holds the year as published: its figures are adopted, then the new ones compared
    adopted = reconcile({}, {2023: {K1: "2422"}}, {2023: ("publisert", "Publisert.")},
                        published={2023: {K1: "2421"}}, published_releases={2023: ("publisert", "2024-06-01 10:00")})
    assert "adopted from publication.duckdb (built 2024-06-01 10:00)" in adopted.notices[0]
    assert adopted.refusals and [c.old for c in adopted.frozen_changes] == ["2421"]
    # a draft the website showed, now marked publisert: the first publication, said without alarm
    drafted = reconcile({}, {2023: {K1: "2421"}}, {2023: ("publisert", "")},
                        published={2023: {K1: "2400"}}, published_releases={2023: ("utkast", "x")})
    assert not drafted.loud and "published for the first time as release 2023-1" in drafted.notices[0]


def test_a_published_year_cannot_go_back_to_draft_or_disappear() -> None:
    back = reconcile({2023: frozen({K1: "1"})}, {2023: {K1: "1"}}, {2023: ("utkast", "")})
    assert "cannot become a draft again" in back.refusals[0]
    gone = reconcile({2023: frozen({K1: "1"})}, {}, {})
    assert "2023 is published (ledger release 2023-1) but is not loaded" in gone.refusals[0]


def test_revision_without_note_is_refused() -> None:
    out = reconcile({2023: frozen({K1: "1"})}, {2023: {K1: "2"}}, {2023: ("revidert", " ")})
    assert "without a note" in out.refusals[0]


def test_ledger_files_are_sorted_reviewable_csv(tmp_path: Path) -> None:
    start = frozen({K2: "2716", K1: ".."})
    revised = reconcile({2023: start}, {2023: {K1: "30", K2: "2716"}},
                        {2023: ("revidert", "Rettet, med komma")}).updates[2023]
    folder = ledger.write_year(tmp_path, revised)
    assert folder == tmp_path / "ledger" / "2023"
    assert (folder / "figures.csv").read_text(encoding="utf-8") == (
        "table,key,figure,value,release\n"
        'service_shares,"population=voksne_opphold, measure=inntakssamtale, breakdown=alle, category=alle",'
        "n_with,30,2023-2\n"
        'user_counts,"population=beboere, breakdown=alle, category=alle",n_records,2716,2023-1\n')
    assert (folder / "revisions.csv").read_text(encoding="utf-8").splitlines()[1] == (
        '2023-2,service_shares,"population=voksne_opphold, measure=inntakssamtale, breakdown=alle, '
        'category=alle",n_with,..,30')
    entries = (folder / "entries.csv").read_text(encoding="utf-8").splitlines()
    assert entries[0] == ",".join(ledger.ENTRY_COLUMNS)
    assert entries[2].startswith('2023-2,2026-12-03,revidert,"Rettet, med komma",revision,abc,')
    assert ledger.read_year(tmp_path, 2023) == revised
    assert ledger.ledger_years(tmp_path) == [2023]
    assert oct(folder.stat().st_mode & 0o777) == "0o755"


def test_a_crash_between_the_renames_leaves_the_old_ledger(tmp_path: Path) -> None:
    folder = ledger.write_year(tmp_path, frozen({K1: "1"}))
    folder.rename(folder.with_name("2023.old"))  # as if killed after the first rename
    assert ledger.read_year(tmp_path, 2023) == frozen({K1: "1"})
    assert not folder.with_name("2023.old").exists()


def test_a_hand_broken_ledger_is_named(tmp_path: Path) -> None:
    folder = ledger.write_year(tmp_path, frozen({K1: "1"}))
    text = (folder / "figures.csv").read_text(encoding="utf-8").replace(",2023-1", ",2023-9")
    (folder / "figures.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ledger.LedgerError, match=r"figures.csv line 2, column release: '2023-9' is not listed"):
        ledger.read_year(tmp_path, 2023)


def test_vintages_come_from_the_ledger_with_typed_keys() -> None:
    revised = reconcile({2023: frozen({K1: "..", K2: "2716"})}, {2023: {K1: "30", K2: "2716"}},
                        {2023: ("revidert", "Rettet.")}).updates[2023]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA warehouse")
    assert ledger.build_vintages(con, {2023: revised}) == 1
    row = con.execute("SELECT release, released_on::VARCHAR, year, population, measure, breakdown, category, "
                      "question, figure, old_value, new_value, old_number, new_number, note "
                      "FROM warehouse.vintages").fetchone()
    assert row == ("2023-2", "2026-12-03", 2023, "voksne_opphold", "inntakssamtale", "alle", "alle", None, "n_with",
                   "..", "30", None, 30, "Rettet.")
