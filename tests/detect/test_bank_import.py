"""Importing hash banks: every supported format, malformed lines, settings, saved form."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebreak.detect.media import HashBank, load_bank, parse_bank_file
from firebreak.detect.media.banks import _detect_header
from firebreak.detect.media.hamming import codes_to_hex
from firebreak.errors import BankError

P1, P2, P3 = "a" * 64, "0123456789abcdef" * 4, "f0" * 32
M1, M2 = "b" * 32, "0f" * 16


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def pdq_set(bank) -> set[str]:  # type: ignore[no-untyped-def]
    return set(codes_to_hex(bank.pdq).to_list())


def test_plain_text_pdq_and_md5_with_comments(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path / "plain.txt", f"# a comment\n{P1}\n\n{M1}\n{P2.upper()}\r\n  {P3}  \n"))
    assert pdq_set(bank) == {P1, P2, P3}
    assert bank.md5["md5"].to_list() == [M1]
    assert bank.report.rejected.height == 0
    assert bank.report.summary() == "all lines accepted"
    assert bank.configs[0].name == "plain" and not bank.configs[0].negative


def test_malformed_lines_are_counted_with_reasons(tmp_path: Path) -> None:
    text = "\n".join([P1, "zz" + P1[2:], "abc", P1 + "0", "g" * 64, "x" * 3 + " " + P1, f"md5 {P1}", M1]) + "\n"
    bank = load_bank(write(tmp_path / "bad.txt", text))
    assert pdq_set(bank) == {P1} and bank.md5.height == 1
    rejected = bank.report.rejected.sort("line")
    assert rejected["line"].to_list() == [2, 3, 4, 5, 6, 7]
    reasons = rejected["reason"].to_list()
    assert reasons[0] == "not a hex hash"
    assert reasons[1] == "hash has 3 hex digits, expected 64 (PDQ) or 32 (MD5)"
    assert reasons[2] == "hash has 65 hex digits, expected 64 (PDQ) or 32 (MD5)"
    assert reasons[3] == "not a hex hash"
    assert reasons[4] == "unsupported signal type 'xxx'"
    assert reasons[5] == "md5 hash has 64 hex digits, expected 32"
    assert bank.report.summary().startswith("6 malformed lines rejected (")
    assert dict(bank.report.reasons().iter_rows())["not a hex hash"] == 2


def test_quality_column_csv_ignores_low_quality(tmp_path: Path) -> None:
    text = f"hash,quality,note\n{P1},80,x\n{P2},49,y\n{P3},50,z\n{M1},,w\n{P1},abc,v\n{P2},101,u\n"
    bank = load_bank(write(tmp_path / "q.csv", text))
    assert pdq_set(bank) == {P1, P3}
    assert sorted(bank.pdq_quality.tolist()) == [50, 80]
    assert bank.md5["md5"].to_list() == [M1]
    assert bank.report.low_quality == 1
    assert sorted(bank.report.rejected["reason"].to_list()) == [
        "quality '101' is not an integer 0-100",
        "quality 'abc' is not an integer 0-100",
    ]


def test_threatexchange_dataset_csv_export(tmp_path: Path) -> None:
    # `threatexchange dataset -P --csv` (collab names may be quoted and hold commas)
    text = (
        "signal_type,signal_str,collab,category,tags\n"
        f'pdq,{P1},"Sample, Collab",POSITIVE_CLASS,tag1 tag2\n'
        f"video_md5,{M1},c,POSITIVE_CLASS,\n"
        "raw_text,some words,c,POSITIVE_CLASS,\n"
    )
    bank = load_bank(write(tmp_path / "te.csv", text))
    assert pdq_set(bank) == {P1}
    assert bank.md5["md5"].to_list() == [M1]
    assert bank.report.rejected["reason"].to_list() == ["unsupported signal type 'raw_text'"]


def test_threatexchange_typed_lines_and_hma_te_files(tmp_path: Path) -> None:
    # LocalFileSignalExchangeAPI / `threatexchange dataset -S`: "<signal_type> <signal>"
    write(tmp_path / "typed.txt", f"pdq {P1}\npdq {P2} 'collab' meta\nmd5 {M1}\npdq,{P3}\n")
    # HMA 1.x export: indicator,indicator_id,descriptor_id,added_on,labels (type from the file name)
    write(tmp_path / "simple.HASH_PDQ.te", f"{P2},12,3456,2021-01-01,tag1 tag2\n")
    write(tmp_path / "simple.HASH_MD5.te", f"{M2},99,3456,2021-01-01,\n")
    bank = load_bank(tmp_path)
    info = {row["bank"]: row for row in bank.info().iter_rows(named=True)}
    assert info["typed"]["pdq"] == 3 and info["typed"]["md5"] == 1
    assert info["simple.HASH_PDQ"]["pdq"] == 1
    assert info["simple.HASH_MD5"]["md5"] == 1
    te_rows = np.nonzero(bank.pdq_bank == bank.info()["bank"].to_list().index("simple.HASH_PDQ"))[0]
    assert bank.pdq_quality[te_rows].tolist() == [-1]  # the indicator id is not a quality


def test_firebreak_hash_output_is_a_bank_with_quality(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path / "hashed.txt", f"{P1} 100 a.jpg\n{P2} 12 b.jpg\n{P3},70,c.jpg\n"))
    assert pdq_set(bank) == {P1, P3}
    assert bank.report.low_quality == 1


def test_separate_pdq_and_md5_columns(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path / "both.tsv", f"pdq\tmd5\tquality\n{P1}\t{M1}\t90\n\t{M2}\t\n\t\t70\n"))
    assert pdq_set(bank) == {P1}
    assert sorted(bank.md5["md5"].to_list()) == sorted([M1, M2])
    assert bank.report.rejected["reason"].to_list() == ["no hash"]


def test_gzip_and_duplicates(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "zipped.txt.gz", "wt") as fh:
        fh.write(f"{P1}\n{P1}\n{P2}\n")
    bank = load_bank(tmp_path / "zipped.txt.gz")
    assert bank.configs[0].name == "zipped"
    assert pdq_set(bank) == {P1, P2}
    assert bank.report.duplicates == 1


def test_negative_banks_and_settings_file(tmp_path: Path) -> None:
    write(tmp_path / "negative_benign.txt", f"{P1}\n")
    write(tmp_path / "partner.txt", f"{P2}\n")
    write(tmp_path / "other.txt", f"{P3}\n")
    write(tmp_path / "banks.toml", "[partner]\ndistance = 12\nweight = 0.5\n[other]\nnegative = true\n")
    configs = {c.name: c for c in load_bank(tmp_path).configs}
    assert configs["negative_benign"].negative and configs["other"].negative
    assert not configs["partner"].negative
    assert (configs["partner"].distance, configs["partner"].weight) == (12, 0.5)
    assert configs["other"].distance == 31
    assert {c.name: c.distance for c in load_bank(tmp_path, distance=20).configs}["other"] == 20


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[x]\ndistance = 'far'\n", "distance must be an integer"),
        ("[x]\nnegativ = true\n", "unknown setting"),
        ("[x\n", "cannot read bank settings"),
    ],
)
def test_bad_settings_file_is_one_line_error(tmp_path: Path, toml: str, message: str) -> None:
    write(tmp_path / "x.txt", f"{P1}\n")
    write(tmp_path / "banks.toml", toml)
    with pytest.raises(BankError, match=message):
        load_bank(tmp_path)


def test_unreadable_inputs_raise_bank_error(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="no such bank file or folder"):
        load_bank(tmp_path / "missing.txt")
    with pytest.raises(BankError, match="no bank files"):
        load_bank(tmp_path)
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BankError, match=r"not UTF-8 text \(byte 0\)"):
        load_bank(tmp_path / "binary.txt")
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(f"{P1}\n".encode() * 100)[:30])
    with pytest.raises(BankError, match="cannot read bank file") as caught:
        load_bank(tmp_path / "cut.txt.gz")
    assert "\n" not in str(caught.value)


def test_saved_bank_reloads_with_the_same_content(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    write(tmp_path / "src" / "a.txt", f"{P1}\n{M1}\nbad\n")
    write(tmp_path / "src" / "negative_b.csv", f"hash,quality\n{P2},90\n")
    bank = load_bank(tmp_path / "src")
    bank.save(tmp_path / "saved")
    again = load_bank(tmp_path / "saved")
    assert again.configs == bank.configs
    assert np.array_equal(np.asarray(again.pdq), bank.pdq)
    assert np.array_equal(np.asarray(again.pdq_bank), bank.pdq_bank)
    assert again.md5.equals(bank.md5)
    assert again.report.rejected.height == 1
    assert load_bank(tmp_path / "saved", distance=5).max_distance == 5


_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")) | st.sampled_from(" \t,")
_LINE = st.one_of(
    st.text(alphabet=_CHARS, max_size=80),
    st.sampled_from([P1, P2, M1, f"pdq {P1}", f"{P1},55", f"{P1} 7 x.jpg", "#c", "", "hash", "signal_type,signal_str"]),
    st.text(alphabet="0123456789abcdefABCDEF ,\t", max_size=70),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, max_size=30))
def test_parser_accounts_for_every_line_and_never_crashes(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "fuzz.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    meaningful = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    has_header = bool(meaningful) and _detect_header(meaningful[0].strip(" ")) is not None
    try:
        parsed = parse_bank_file(path)
    except BankError as exc:  # a file whose every line is rejected is an error, not an empty bank
        assert f"all {len(meaningful) - has_header:,} lines rejected" in str(exc)
        return
    accounted = len(parsed.pdq) + parsed.md5.height + parsed.rejected.height + parsed.low_quality
    assert accounted == len(meaningful) - has_header  # one outcome per line, header excluded
    assert parsed.pdq.shape[1:] == (32,) and parsed.pdq_quality.shape == (len(parsed.pdq),)
    assert parsed.md5["hash"].str.contains(r"^[0-9a-f]{32}$").all()
    assert parsed.rejected["reason"].null_count() == 0


def test_duplicate_keeps_the_best_quality_copy(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path / "dups.csv", f"hash,quality\n{P1},60\n{P2},\n{P1},90\n{P1.upper()},70\n"))
    assert len(bank.pdq) == 2 and bank.report.duplicates == 2
    assert dict(zip(codes_to_hex(bank.pdq).to_list(), bank.pdq_quality.tolist())) == {P1: 90, P2: -1}


def test_bank_from_in_memory_hashes(tmp_path: Path) -> None:
    bank = HashBank.from_hashes([P1, f"{P2} 20 x.jpg", M1, "oops", P1, "# note"], name="sim", negative=True, distance=10)
    assert pdq_set(bank) == {P1} and bank.md5["md5"].to_list() == [M1]
    assert bank.configs[0].name == "sim" and bank.configs[0].negative and bank.max_distance == 10
    assert (bank.report.low_quality, bank.report.duplicates) == (1, 1)
    assert bank.report.rejected.select("line", "reason").rows() == [(4, "not a hex hash")]


def test_a_csv_row_shorter_than_its_header_is_rejected_not_indexed(tmp_path: Path) -> None:
    """Found by benchmarks/fuzz_parsers.py: a null hash passed every check and broke hex_to_codes."""
    path = write(tmp_path / "short.csv", f"signal_type,other,signal_str,quality\npdq,80\npdq,x,{P1},90\n")
    parsed = parse_bank_file(path)
    assert len(parsed.pdq) == 1
    assert parsed.rejected.select("line", "reason").rows() == [(2, "no hash")]


def test_a_carriage_return_inside_a_line_does_not_crash_the_csv_split(tmp_path: Path) -> None:
    """Found by benchmarks/fuzz_parsers.py: the csv module raised on a bare CR in the header line."""
    path = write(tmp_path / "cr.csv", f'signal_type,signal_str\r,quality\npdq,{P1}\npdq,"{P2}\r"\n')
    parsed = parse_bank_file(path)
    assert len(parsed.pdq) + parsed.rejected.height == 2
