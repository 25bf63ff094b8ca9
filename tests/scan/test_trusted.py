"""The trusted-flagger registry file: CSV and TOML, one-line errors, a property round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.errors import TrustedFlaggersError
from firebreak.scan.trusted import TRUSTED_FLAGGERS, read_trusted_flaggers, registry_frame


def test_csv_and_toml_read_the_same_registry(tmp_path: Path) -> None:
    csv = tmp_path / "flaggers.csv"
    csv.write_text("account,organisation,since\nacct1,Example Hotline,2024-05-01\nacct2,Example Police,\n", encoding="utf-8")
    toml = tmp_path / "flaggers.toml"
    toml.write_text(
        '[[flagger]]\naccount = "acct1"\norganisation = "Example Hotline"\nsince = 2024-05-01\n\n'
        '[[flagger]]\naccount = "acct2"\norganisation = "Example Police"\n',
        encoding="utf-8",
    )
    a, b = read_trusted_flaggers(csv), read_trusted_flaggers(toml)
    assert a.schema == TRUSTED_FLAGGERS
    assert a.equals(b)
    assert a.row(0) == ("acct1", "Example Hotline", datetime(2024, 5, 1, tzinfo=UTC))
    assert a.row(1)[2] is None


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.csv", "account,since\nacct1,2024-01-01\n", "missing column 'organisation'"),
        ("b.csv", "account,organisation\n,Example\n", "row 1 has no account"),
        ("c.csv", "account,organisation,since\nacct1,Example,yesterday\n", "since 'yesterday' is not an ISO date"),
        ("d.toml", "flagger = 3\n", "expected [[flagger]] tables"),
        ("e.toml", "[[flagger]\n", "not readable"),
    ],
)
def test_bad_registry_files_are_one_line_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrustedFlaggersError) as err:
        read_trusted_flaggers(path)
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TrustedFlaggersError, match="not found"):
        read_trusted_flaggers(tmp_path / "nope.csv")


names = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FFF), min_size=1, max_size=12)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(names, names, st.dates(min_value=datetime(2000, 1, 1).date()) | st.none()), max_size=8))
def test_registry_round_trips_through_csv(tmp_path_factory: pytest.TempPathFactory, rows: list) -> None:
    frame = registry_frame([{"account": a, "organisation": o, "since": d} for a, o, d in rows])
    assert frame.get_column("account").is_unique().all()
    path = tmp_path_factory.mktemp("reg") / "r.csv"
    frame.with_columns(pl.col("since").dt.strftime("%Y-%m-%d")).write_csv(path)
    back = read_trusted_flaggers(path) if frame.height else frame
    assert back.equals(frame)
