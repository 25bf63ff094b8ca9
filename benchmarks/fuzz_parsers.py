"""Coverage-guided fuzzing (atheris / libFuzzer) of the snapshot row parsers and the bank parsers.

Each input's first byte picks a target, the rest is a file's bytes:

    0 accounts.jsonl   1 follows.jsonl (3 known accounts)   2 accounts.csv   3 follows.csv
    4 accounts.jsonl.gz   5 posts.jsonl   6 bank (plain text)   7 bank (CSV with header)

A target may only end in a result or in a :class:`~firebreak.errors.FirebreakError`
(one line); for snapshots, rows in must equal kept + quarantined for every table.
Anything else (a traceback, a Polars panic, a broken invariant) is a crash: libFuzzer
stops, saves the input as ``crash-*`` and the script exits non-zero.

    python benchmarks/fuzz_parsers.py --seconds 20         # short mode (the test suite runs 10 s)
    python benchmarks/fuzz_parsers.py --long               # 600 s
    python benchmarks/fuzz_parsers.py --quick              # same as --seconds 10

The corpus is kept in ``benchmarks/fuzz_corpus/`` (seeds for every target, and inputs
that once crashed); new inputs found in a run go to a temporary folder (under
``$TMPDIR``) unless ``--update-corpus`` is given, and a crashing input is saved as
``$TMPDIR/firebreak-fuzz-crash-*/crash-<sha1>``.
Prints the executions, the rate and whether anything crashed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # one core: the machine is shared, and runs are reproducible

import atheris

with atheris.instrument_imports(include=["firebreak"]):
    from firebreak.detect.media.banks import parse_bank_file
    from firebreak.errors import FirebreakError
    from firebreak.snapshot import read_snapshot

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
TARGETS = (
    "accounts.jsonl", "follows.jsonl", "accounts.csv", "follows.csv", "accounts.jsonl.gz", "posts.jsonl",
    "bank.txt", "bank.csv",
)
KNOWN_ACCOUNTS = b'{"id":"a1"}\n{"id":"a2"}\n{"id":"a3"}\n'
_WORK = Path(tempfile.mkdtemp(prefix="firebreak-fuzz-"))


def _snapshot(name: str, data: bytes) -> None:
    snap = _WORK / "snap"
    shutil.rmtree(snap, ignore_errors=True)
    snap.mkdir()
    if not name.startswith("accounts"):
        (snap / "accounts.jsonl").write_bytes(KNOWN_ACCOUNTS)
    if not name.startswith("follows"):
        (snap / "follows.jsonl").write_bytes(b"")
    if name.endswith(".gz"):
        import gzip

        data = gzip.compress(data, mtime=0) if data[:2] != b"\x1f\x8b" else data
    (snap / name).write_bytes(data)
    try:
        result = read_snapshot(snap)
    except FirebreakError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"error message is not one line: {exc!r}") from None
        return
    for table, (rows_in, kept, quarantined) in result.accounting().items():
        if rows_in != kept + quarantined:
            raise AssertionError(f"{table}: {rows_in} rows in, {kept} kept, {quarantined} quarantined")


def _bank(name: str, data: bytes) -> None:
    path = _WORK / name
    path.write_bytes(data)
    try:
        parsed = parse_bank_file(path)
    except FirebreakError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"error message is not one line: {exc!r}") from None
        return
    if parsed.pdq.shape[1:] != (32,) or len(parsed.pdq_quality) != len(parsed.pdq):
        raise AssertionError("PDQ codes and qualities out of step")


def one_input(data: bytes) -> None:
    """The fuzz target: first byte picks the parser, the rest is the file."""
    if not data:
        return
    name = TARGETS[data[0] % len(TARGETS)]
    body = data[1:]
    if name.startswith("bank"):
        _bank(name, body)
    else:
        _snapshot(name, body)


def write_seeds() -> None:
    """(Re)write the seed inputs of ``fuzz_corpus/`` (one or more per target)."""
    p1 = "f" * 16 + "0" * 48
    seeds = {
        0: [(b'{"id":"a1","handle":"x","created_at":"2023-01-01T00:00:00Z","links":["https://e.org"],"status":"active"}\n'
             b'{"id":"a2","age_group":"minor"}\n{"id":"a2"}\n')],
        1: [b'{"src":"a1","dst":"a2","created_at":1686139200}\n{"src":"a1","dst":"ghost"}\n{"src":"a3","dst":"a1"}\n'],
        2: [b'\xef\xbb\xbfid,handle,links,status\r\na1,x,"[""https://e.org""]",active\r\na2,y,,disabled\r\n'],
        3: [b"src,dst,created_at\na1,a2,2023-01-01T00:00:00Z\na2,gone,\n"],
        4: [b'{"id":"a1"}\n{"id":"a2","status":"weird"}\n'],
        5: [b'{"id":"p1","author":"a1","text":"hi #tag","media":[{"pdq":"' + p1.encode() + b'","quality":90}]}\n'],
        6: [f"# bank\n{p1} 90 x.jpg\npdq {p1}\n{'0' * 32}\n{p1} 150\n".encode()],
        7: [f"signal_type,signal_str,quality\npdq,{p1},80\nmd5,{'a' * 32},\n".encode()],
    }
    CORPUS.mkdir(exist_ok=True)
    for target, inputs in seeds.items():
        for k, body in enumerate(inputs):
            (CORPUS / f"seed-{TARGETS[target]}-{k}").write_bytes(bytes([target]) + body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="How long to fuzz (libFuzzer -max_total_time).")
    parser.add_argument("--long", action="store_true", help="Fuzz for 600 s.")
    parser.add_argument("--quick", action="store_true", help="Fuzz for 10 s (what tests run).")
    parser.add_argument("--update-corpus", action="store_true", help="Add new interesting inputs to fuzz_corpus/.")
    parser.add_argument("--write-seeds", action="store_true", help="Rewrite the seed inputs and exit.")
    args, _ = parser.parse_known_args()
    if args.write_seeds:
        write_seeds()
        return 0
    seconds = 600 if args.long else 10 if args.quick else args.seconds
    new = CORPUS if args.update_corpus else Path(tempfile.mkdtemp(prefix="firebreak-fuzz-new-"))
    crashes = Path(tempfile.mkdtemp(prefix="firebreak-fuzz-crash-"))
    argv = [
        sys.argv[0], str(new), str(CORPUS), f"-max_total_time={seconds}", "-max_len=4096", "-timeout=30",
        "-rss_limit_mb=4096", f"-artifact_prefix={crashes}/", "-print_final_stats=1",
    ]
    print(f"fuzzing {len(TARGETS)} parsers for {seconds} s; corpus {CORPUS} ({len(list(CORPUS.iterdir()))} inputs)", flush=True)
    atheris.Setup(argv, one_input)
    # libFuzzer ends the process itself: exit 0 with "Done N runs in S second(s)" when time is up,
    # non-zero with the crashing input saved under `crashes` otherwise.
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
