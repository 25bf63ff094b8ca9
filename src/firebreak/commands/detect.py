"""CLI: ``firebreak detect`` (per-account signals) and ``firebreak lexicon check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors

lexicon_app = typer.Typer(help="Inspect and test the coded-term lexicon.", no_args_is_help=True)

LexiconOpt = Annotated[
    list[Path] | None,
    typer.Option("--lexicon", help="Extra term file or directory of *.toml (repeatable); also FIREBREAK_LEXICON."),
]


@lexicon_app.command("check")
@friendly_errors
def lexicon_check(lexicon: LexiconOpt = None, batch: Annotated[int, typer.Option(help="Texts matched per batch.")] = 10_000) -> None:
    """Read texts from standard input, one per line; print one JSON line per text, in order:
    {"text": ..., "hits": [{"term", "family", "category", "form", "span", "weight", "ambiguous"}]}.
    A line that is not UTF-8 gets {"text": null, "hits": [], "error": ...} in its place and an
    `error:` line on stderr; the other lines are still answered and the exit status is 2."""
    import json
    import sys

    from firebreak.detect.lexicon import load_lexicon

    lex = load_lexicon(lexicon or None)
    out = sys.stdout
    bad_lines = 0

    def flush(lines: list[str | None], errors: list[str | None]) -> None:
        texts = [text for text in lines if text is not None]
        answers = iter(lex.match_many(texts))
        for text, error in zip(lines, errors, strict=True):
            if text is None:
                out.write(json.dumps({"text": None, "hits": [], "error": error}) + "\n")
            else:
                hits = next(answers)
                out.write(json.dumps({"text": text, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False) + "\n")

    buf: list[str | None] = []
    errs: list[str | None] = []
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        body = raw[:-1] if raw.endswith(b"\n") else raw
        body = body[:-1] if body.endswith(b"\r") else body
        try:
            buf.append(body.decode("utf-8"))
            errs.append(None)
        except UnicodeDecodeError as exc:
            error = f"standard input line {number}: not UTF-8: invalid byte 0x{body[exc.start]:02x} at byte {exc.start}"
            print(f"error: {error}", file=sys.stderr)
            buf.append(None)
            errs.append(error)
            bad_lines += 1
        if len(buf) >= batch:
            flush(buf, errs)
            buf, errs = [], []
    if buf:
        flush(buf, errs)
    out.flush()
    if bad_lines:
        raise typer.Exit(code=2)


@lexicon_app.command("show")
@friendly_errors
def lexicon_show(lexicon: LexiconOpt = None) -> None:
    """Print the loaded term files' versions and one line per family (category, weight, terms)."""
    from collections import defaultdict

    from firebreak.detect.lexicon import Term, load_lexicon

    lex = load_lexicon(lexicon or None)
    print(f"version {lex.version}")
    fams: dict[str, list[Term]] = defaultdict(list)
    for t in lex.terms:
        fams[t.family].append(t)
    for name, ts in fams.items():
        t = ts[0]
        amb = " ambiguous" if t.ambiguous else ""
        print(f"{name}\t{t.category}\t{t.weight}{amb}\t{len(ts)} term(s)\t[{t.file}]")


def register(app: typer.Typer) -> None:
    """Add ``detect`` and the ``lexicon`` group to app."""
    app.add_typer(lexicon_app, name="lexicon")

    @app.command("detect")
    @friendly_errors
    def detect(
        snapshot: Annotated[Path, typer.Argument(help="Snapshot directory (or an ingest workdir).")],
        out: Annotated[Path, typer.Option("--out", help="Output directory.")],
        hashes: Annotated[Path | None, typer.Option("--hashes", help="Hash bank (file, folder, or saved bank).")] = None,
        lexicon: LexiconOpt = None,
    ) -> None:
        """Per-account signals with evidence: writes signals.jsonl, signals.parquet, destinations.parquet."""
        import polars as pl
        from rich.console import Console

        from firebreak.atomic import check_writable
        from firebreak.detect.lexicon import load_lexicon
        from firebreak.detect.output import write_detection
        from firebreak.detect.profile import destinations
        from firebreak.detect.signals import detect_signals
        from firebreak.snapshot import load_snapshot
        from firebreak.snapshot.quarantine import write_quarantine

        console = Console(stderr=True)
        check_writable(out)
        with console.status("reading snapshot"):
            result = load_snapshot(snapshot)
            snap = result.snapshot
        quarantined = result.quarantine.height
        write_quarantine(result.quarantine, out)
        lex = load_lexicon(lexicon or None)
        bank = None
        if hashes is not None:
            from firebreak.detect.media import load_bank

            with console.status("loading hash bank"):
                bank = load_bank(hashes)
        with console.status("detecting signals"):
            dests = destinations(snap)
            ev = detect_signals(snap, bank=bank, lexicon=lex, dests=dests)
        write_detection(ev, dests, out)
        accounts = ev.get_column("account").n_unique()
        flagged = ev.filter(pl.col("weight") > 0).get_column("account").n_unique()
        console.print(
            f"{accounts} accounts with evidence ({flagged} with weight > 0), {ev.height} evidence rows, "
            f"{dests.height} destinations; lexicon {lex.version}"
            + (f"; {quarantined} rows quarantined -> {out / 'quarantine.jsonl'}" if quarantined else "")
        )
        print(out)
