"""PDQ hashing of images (against Meta's reference vectors) and the media CLI commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from firebreak.commands import media as media_commands
from firebreak.detect.media.hashing import pdq_from_file, pdq_from_pixels
from tests.shared_data import shared_path

TESTDATA = shared_path("testdata", "pdq")
#: the two references (Python and C++/WASM) themselves differ by up to ~10 bits on these images
MAX_BITS_FROM_REFERENCE = 10


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@pytest.fixture()
def cli() -> typer.Typer:
    app = typer.Typer()
    media_commands.register(app)
    return app


def benign_image(path: Path, seed: int) -> Path:
    """A generated gradient-and-noise picture (no real content)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:96, 0:128]
    pixels = np.stack([(x * 2) % 256, (y * 3) % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    pixels = np.clip(pixels + rng.integers(0, 40, pixels.shape), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.skipif(not (TESTDATA / "expected.csv").is_file(), reason="shared PDQ test vectors absent")
def test_hashes_match_the_reference_vectors() -> None:
    expected = pl.read_csv(TESTDATA / "expected.csv", schema_overrides={"pdq_python_reference": pl.String, "pdq_cpp_wasm_reference": pl.String})
    worst = 0
    for image, py_ref, cpp_ref in expected.iter_rows():
        got = pdq_from_file(TESTDATA / "images" / image)
        refs = [r for r in (py_ref, cpp_ref) if r]
        assert refs
        worst = max(worst, *(distance(got.hash, r) for r in refs))
    assert worst <= MAX_BITS_FROM_REFERENCE
    print(f"max Hamming distance to the reference hashes: {worst} bits")


def test_same_picture_in_other_formats_hashes_close(tmp_path: Path) -> None:
    png = benign_image(tmp_path / "a.png", 1)
    pixels = np.asarray(Image.open(png))
    Image.fromarray(pixels).convert("L").save(tmp_path / "a_gray.png")
    Image.fromarray(pixels).save(tmp_path / "a.jpg", quality=90)
    base = pdq_from_file(png)
    assert base == pdq_from_pixels(pixels)
    assert len(base.hash) == 64 and 0 <= base.quality <= 100
    assert distance(base.hash, pdq_from_file(tmp_path / "a.jpg").hash) <= 31
    other = pdq_from_file(benign_image(tmp_path / "b.png", 2))
    assert other.hash != base.hash


def test_hash_command_prints_one_line_per_image_and_continues_after_errors(tmp_path: Path, cli: typer.Typer) -> None:
    good1, good2 = benign_image(tmp_path / "one.png", 3), benign_image(tmp_path / "two.png", 4)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    result = CliRunner().invoke(cli, ["hash", str(good1), str(bad), str(tmp_path / "missing.png"), str(good2)])
    assert result.exit_code == 2  # bad input, as the README promises
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line, path in zip(lines, (good1, good2), strict=True):
        pdq, quality, shown = line.split(" ", 2)
        assert (pdq, int(quality)) == (pdq_from_file(path).hash, pdq_from_file(path).quality)
        assert shown == str(path)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("error: ") for e in errors)
    assert "broken.jpg" in errors[0] and "missing.png" in errors[1]


def test_hash_output_imports_as_a_bank_and_bank_commands(tmp_path: Path, cli: typer.Typer) -> None:
    img = benign_image(tmp_path / "pic.png", 5)
    runner = CliRunner()
    hashed = runner.invoke(cli, ["hash", str(img)])
    assert hashed.exit_code == 0
    src = tmp_path / "banks"
    src.mkdir()
    (src / "mine.txt").write_text(hashed.stdout + "not-a-hash\n")
    imported = runner.invoke(cli, ["bank", "import", str(src), "--out", str(tmp_path / "saved")])
    assert imported.exit_code == 0, imported.output
    assert "mine\tfalse\t31\t1\t1\t0" in imported.stdout
    assert "1 malformed line rejected (1 not a hex hash)" in imported.stdout
    assert "mine.txt:2: not a hex hash" in imported.stderr
    info = runner.invoke(cli, ["bank", "info", str(tmp_path / "saved")])
    assert info.exit_code == 0 and "mine\tfalse\t31\t1\t1\t0" in info.stdout
    missing = runner.invoke(cli, ["bank", "info", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and missing.stderr.startswith("error: ") and len(missing.stderr.strip().splitlines()) == 1
