"""The restricted zone: file permissions, and no identifier in anything published, exported or logged."""

from __future__ import annotations

import io
import shutil
import stat
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krise_pipeline.cli import commands
from krise_pipeline.metadata import contract
from krise_pipeline_tests.support.deliveries import adult_stay, centre, child_stay, visit, write_delivery

CANARIES = ("CANARYPERSON7731", "CANARYSTAY5502", "CANARYCHILD8813", "CANARYVISIT9920")


def run(data: Path, wh: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = commands.main(["run", "--data-dir", str(data), "--warehouse-dir", str(wh)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def canary_delivery(year_dir: Path) -> None:
    adults = [adult_stay(2024, opphold_id=f"{CANARIES[1]}{i}", person_id=f"{CANARIES[0]}{i}") for i in range(30)]
    children = [child_stay(2024, opphold_id=f"C{i}", barn_id=f"{CANARIES[2]}{i}") for i in range(25)]
    visits = [visit(2024, besok_id=f"{CANARIES[3]}{i}", person_id=f"{CANARIES[0]}V{i}") for i in range(40)]
    write_delivery(year_dir, [centre("KS001", 2024)], adults, children, visits)


def test_canary_identifiers_never_leave_the_restricted_warehouse(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # a persistent instance: event logs on disk
    data, wh = tmp_path / "data", tmp_path / "wh"
    canary_delivery(data / "raw" / "2024")
    code, out, err = run(data, wh)
    assert code == 0, err
    scanned = 0
    seen: set[str] = set()
    for root in (wh, home):
        for path in root.rglob("*"):
            if not path.is_file() or path.name.startswith("krise.duckdb"):
                continue
            blob = path.read_bytes()
            scanned += 1
            seen.add(path.relative_to(root).as_posix())
            for canary in CANARIES:
                assert canary.encode() not in blob, (canary, path)
    assert scanned > 30
    # the open data files are among those scanned: every table as CSV and Parquet, the package, JSON-stat
    open_data = {p for p in seen if p.startswith("exports/data/")}
    assert {"exports/data/service_shares.csv", "exports/data/user_counts.parquet", "exports/data/codes.csv",
            "exports/data/datapackage.json", "exports/data/jsonstat/service_shares.json"} <= open_data
    assert len(open_data) == 22
    assert not any(c in out + err for c in CANARIES)
    # the restricted file does hold them: the scan above would have found a leak
    assert CANARIES[0].encode() in (wh / "krise.duckdb").read_bytes()


def test_permissions_restricted_and_published(tmp_path: Path) -> None:
    data, wh = tmp_path / "data", tmp_path / "wh"
    canary_delivery(data / "raw" / "2024")
    code, _, err = run(data, wh)
    assert code == 0, err
    assert stat.S_IMODE((wh / "krise.duckdb").stat().st_mode) == 0o600
    assert stat.S_IMODE((wh / "publication.duckdb").stat().st_mode) == 0o644
    assert stat.S_IMODE(wh.stat().st_mode) == 0o755
    # public/: a draft only, so no year is out (a page saying so and released.json), as open as exports/
    for folder, least in (("exports", 40), ("public", 2)):
        exported = [p for p in (wh / folder).rglob("*")]
        assert len(exported) >= least, folder
        for p in [wh / folder, *exported]:
            assert stat.S_IMODE(p.stat().st_mode) == (0o755 if p.is_dir() else 0o644), p
    # anything else the run created in the warehouse folder is private
    for p in wh.iterdir():
        if p.name not in ("publication.duckdb", "exports", "public", "krise.duckdb"):
            assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


@pytest.fixture(scope="module")
def published_canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with data/ (the canary delivery) and wh/ after a successful run."""
    root = tmp_path_factory.mktemp("published_canary")
    canary_delivery(root / "data" / "raw" / "2024")
    code, _, err = run(root / "data", root / "wh")
    assert code == 0, err
    return root


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from([contract.SURVEY_FILE, contract.ADULT_FILE, contract.CHILD_FILE, contract.VISIT_FILE]),
    position=st.floats(min_value=0.0, max_value=1.0),
    junk=st.binary(min_size=1, max_size=6),
    cut=st.booleans(),
)
def test_mutated_delivery_ends_in_success_or_a_clear_error(
    tmp_path_factory, published_canary: Path, target: str, position: float, junk: bytes, cut: bool  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path_factory.mktemp("mutation")
    shutil.copytree(published_canary, root, dirs_exist_ok=True)
    data, wh = root / "data", root / "wh"
    before = (wh / "publication.duckdb").read_bytes()
    path = data / "raw" / "2024" / target
    blob = path.read_bytes()
    at = int(position * (len(blob) - 1))
    blob = blob[:at] + junk if cut else blob[:at] + junk + blob[at + len(junk):]
    path.write_bytes(blob)
    code, _, err = run(data, wh)
    assert code in (commands.EXIT_OK, commands.EXIT_INVALID)
    assert "Traceback" not in err
    if code != commands.EXIT_OK:
        assert target in err or "delivery" in err.lower()
        assert (wh / "publication.duckdb").read_bytes() == before
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM releases").fetchone() == (1,)
