"""``firebreak flaggers`` and ``firebreak scan --trusted-flaggers`` from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from firebreak.cli import app


def test_flaggers_add_list_remove(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fb.db'}"
    reg = tmp_path / "reg.toml"
    reg.write_text('[[flagger]]\naccount = "c"\norganisation = "Example Police"\n', encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(app, ["flaggers", "add", "a", "b", "--organisation", "Example Hotline", "--since", "2024-01-02", "--file", str(reg), "--db", db])
    assert out.exit_code == 0, out.output
    assert "3 trusted-flagger accounts registered" in out.output
    listed = runner.invoke(app, ["flaggers", "list", "--db", db, "--out", str(tmp_path / "reg.csv")])
    assert listed.exit_code == 0
    lines = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert [(r[0], r[1], r[2]) for r in lines] == [("a", "Example Hotline", "2024-01-02"), ("b", "Example Hotline", "2024-01-02"), ("c", "Example Police", "-")]
    assert (tmp_path / "reg.csv").read_text(encoding="utf-8").startswith("account,organisation,since\n")
    gone = runner.invoke(app, ["flaggers", "remove", "a", "zz", "--db", db])
    assert gone.exit_code == 0 and "1 of 2 accounts removed" in gone.output


def test_flaggers_add_needs_an_organisation(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["flaggers", "add", "a", "--db", f"sqlite:///{tmp_path / 'fb.db'}"])
    assert out.exit_code == 2
    assert out.output.strip().splitlines()[-1] == "error: --organisation is required when accounts are given"


def test_scan_with_a_bad_registry_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "reg.csv"
    bad.write_text("account\nx\n", encoding="utf-8")
    snap = tmp_path / "snap"
    snap.mkdir()
    out = CliRunner().invoke(app, ["scan", str(snap), "--out", str(tmp_path / "o"), "--trusted-flaggers", str(bad)])
    assert out.exit_code == 2
    assert "error:" in out.output and "missing column 'organisation'" in out.output
