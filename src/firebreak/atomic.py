"""Results folders written atomically, with a manifest, and read back only when complete.

A command that writes a results folder (ingest's canonical copy, a scan's results)
writes every file into a temporary sibling ``.<name>.tmp-<pid>-<random>``, fsyncs
them, writes ``manifest.json`` last, fsyncs the folder, then swaps it into place with
one ``rename`` (Linux ``renameat2(RENAME_EXCHANGE)`` when an old folder is there, so a
reader sees the old complete folder or the new complete one, never a mix; elsewhere,
two renames whose gap a later write repairs) and fsyncs the parent folder. A process
killed at any point leaves the old folder untouched and a stale temporary sibling,
which the next write removes.

``manifest.json`` holds, under the key ``"firebreak_results"``::

    {"version": 1, "complete": true,
     "run": {"id": "<uuid4 hex>", "time": "<UTC RFC 3339>", "command": "scan"},
     "inputs": {"<name>": {"path": ..., "kind": "sha256"|"files"|"stat", "sha256": ...}},
     "parameters": {...},
     "files": {"<relative path>": {"sha256": "<hex>", "bytes": N}}}

Other top-level keys are the folder's own (a snapshot copy keeps the snapshot's
manifest fields there). :func:`verify_results` refuses, with a one-line
:class:`~firebreak.errors.ResultsError`, a folder without such a manifest or with a
listed file missing or changed. Files not listed (e.g. an ``evaluation.json`` added
later) are not checked.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from firebreak.errors import ResultsError

MANIFEST = "manifest.json"
RESULTS_KEY = "firebreak_results"
VERSION = 1
_CHUNK = 1 << 20
#: inputs bigger than this are fingerprinted by name, size and modification time, not content.
CONTENT_LIMIT = 256 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of ``path``'s bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: str | Path) -> dict[str, str]:
    """A fingerprint of an input file or folder, for a manifest's ``inputs``.

    Returns ``{"path", "kind", "sha256"}``: ``kind`` is ``"files"`` for a complete
    results folder (the hash of its manifest's file checksums), ``"sha256"`` for a
    file up to :data:`CONTENT_LIMIT` bytes (its content), ``"stat"`` otherwise (names,
    sizes and modification times of the file or of the folder's files), ``"missing"``
    for a path that does not exist.
    """
    p = Path(path)
    shown = str(p.resolve()) if p.exists() else str(p)
    if not p.exists():
        return {"path": shown, "kind": "missing", "sha256": ""}
    if p.is_dir():
        files = _listed_files(p)
        if files is not None:
            text = json.dumps(files, sort_keys=True)
            return {"path": shown, "kind": "files", "sha256": hashlib.sha256(text.encode()).hexdigest()}
        digest = hashlib.sha256()
        for child in sorted(c for c in p.rglob("*") if c.is_file()):
            st = child.stat()
            digest.update(f"{child.relative_to(p)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return {"path": shown, "kind": "stat", "sha256": digest.hexdigest()}
    st = p.stat()
    if st.st_size <= CONTENT_LIMIT:
        return {"path": shown, "kind": "sha256", "sha256": sha256_file(p)}
    text = f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}"
    return {"path": shown, "kind": "stat", "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _listed_files(directory: Path) -> dict[str, object] | None:
    """The ``files`` map of ``directory``'s manifest, or ``None`` if it has no readable one."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = data[RESULTS_KEY]["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files if isinstance(files, dict) else None


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` atomically (Linux ``renameat2``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(target: Path) -> None:
    """Remove temporary siblings of ``target`` left by killed writers; restore a lost swap's old folder."""
    parent = target.parent
    if not parent.is_dir():
        return
    for prefix in (f".{target.name}.tmp-", f".{target.name}.old-"):
        for stale in parent.glob(f"{prefix}*"):
            pid_text = stale.name[len(prefix) :].split("-", 1)[0]
            if pid_text.isdigit() and _pid_alive(int(pid_text)) and int(pid_text) != os.getpid():
                continue
            if prefix.endswith("old-") and not target.exists() and verify_quietly(stale):
                os.replace(stale, target)  # a non-Linux swap was cut between its two renames
                continue
            shutil.rmtree(stale, ignore_errors=True)


def verify_quietly(directory: Path) -> bool:
    """Whether ``directory`` is a complete results folder (see :func:`verify_results`)."""
    try:
        verify_results(directory)
    except ResultsError:
        return False
    return True


def check_writable(target: str | Path) -> Path:
    """Raise :class:`ResultsError` now if results cannot be written to ``target`` (a folder).

    Checks before any work is done: ``target`` must not be a file, and the folder it
    would be created in must be writable (a probe file is created and removed).
    Returns ``target`` as a :class:`Path`.
    """
    out = Path(target)
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out}: output folder is a file")
    # the new folder is built beside the old one and renamed: the parent must be writable
    probe_in = out.parent
    while not probe_in.exists() and probe_in.parent != probe_in:
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise ResultsError(f"{probe_in}: is a file, cannot create the output folder {out} in it")
    probe = probe_in / f".firebreak-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise ResultsError(f"{out}: cannot write the output folder: {probe_in} is not writable ({exc.strerror or exc})") from None
    return out


@dataclass(slots=True)
class ResultsWriter:
    """The folder being written (``path``) and what the manifest will add (``extra`` top-level keys).

    After the ``with`` block: ``changed`` lists the files (relative paths) that differ
    from the folder that was there, and ``replaced`` says whether the folder was swapped
    (False when nothing changed and ``keep_if_unchanged`` kept the old one).
    """

    path: Path
    target: Path
    extra: dict[str, object] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    replaced: bool = False


def _checksums(directory: Path) -> dict[str, dict[str, object]]:
    files: dict[str, dict[str, object]] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST):
        files[path.relative_to(directory).as_posix()] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return files


def _guard_foreign(target: Path, may_replace: Collection[str] | None) -> None:
    """Refuse to replace a non-empty folder that is not a results folder and holds files we do not own."""
    if may_replace is None or not target.is_dir() or _listed_files(target) is not None:
        return
    foreign = sorted(p.name for p in target.iterdir() if p.name not in may_replace)
    if foreign:
        raise ResultsError(
            f"{target}: exists and is not a Firebreak results folder (it holds {', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); choose a new or empty folder"
        )


@contextmanager
def atomic_results(
    target: str | Path,
    *,
    command: str,
    inputs: Mapping[str, str | Path] | None = None,
    parameters: Mapping[str, object] | None = None,
    may_replace: Collection[str] | None = None,
    keep_if_unchanged: bool = False,
) -> Iterator[ResultsWriter]:
    """Write a results folder atomically: yield a :class:`ResultsWriter` whose ``path`` to fill.

    Parameters
    ----------
    target
        The results folder; replaced only once the new one is complete.
    command
        The command named in the manifest's ``run``.
    inputs
        Name -> input path, fingerprinted with :func:`fingerprint`.
    parameters
        JSON-serialisable parameters of the run.
    may_replace
        File names an old folder without a manifest may hold and still be replaced
        (``None``: the folder is wholly the writer's). Anything else there raises
        :class:`ResultsError` before the work starts.
    keep_if_unchanged
        Keep the old folder (and its manifest) when every file is byte-identical.

    If the block raises, the temporary folder is removed and ``target`` is untouched.
    """
    out = check_writable(target)
    _guard_foreign(out, may_replace)
    _clean_stale(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    writer = ResultsWriter(path=staging, target=out)
    try:
        yield writer
        files = _checksums(staging)
        old = _listed_files(out) if out.is_dir() else None
        old_files = old if old is not None else (
            {p.relative_to(out).as_posix(): None for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}
            if out.is_dir() else {}
        )
        writer.changed = sorted(
            name for name in set(files) | set(old_files) if files.get(name) != old_files.get(name)
        )
        if keep_if_unchanged and old is not None and not writer.changed:
            shutil.rmtree(staging, ignore_errors=True)
            return
        manifest = dict(writer.extra)
        manifest[RESULTS_KEY] = {
            "version": VERSION,
            "complete": True,
            "run": {
                "id": uuid.uuid4().hex,
                "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "command": command,
            },
            "inputs": {name: fingerprint(path) for name, path in (inputs or {}).items()},
            "parameters": dict(parameters or {}),
            "files": files,
        }
        for path in staging.rglob("*"):
            if path.is_file():
                _fsync_path(path)
        manifest_path = staging / MANIFEST
        with manifest_path.open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        for sub in sorted((p for p in staging.rglob("*") if p.is_dir()), reverse=True):
            _fsync_path(sub, directory=True)
        _fsync_path(staging, directory=True)
        _swap_into_place(staging, out)
        writer.replaced = True
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap_into_place(staging: Path, out: Path) -> None:
    if out.is_dir() and _exchange(staging, out):
        _fsync_path(out.parent, directory=True)
        shutil.rmtree(staging, ignore_errors=True)  # now the old folder
        return
    if out.is_dir():
        backup = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.replace(out, backup)
        os.replace(staging, out)
        _fsync_path(out.parent, directory=True)
        shutil.rmtree(backup, ignore_errors=True)
        return
    os.replace(staging, out)
    _fsync_path(out.parent, directory=True)


def write_file_atomic(path: str | Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a fsynced temporary file and ``os.replace``; False if unchanged.

    A file already holding exactly ``data`` is left alone (idempotent re-runs).
    """
    target = Path(path)
    if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return False
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_path(target.parent, directory=True)
    return True


def verify_results(directory: str | Path) -> dict[str, object]:
    """The manifest of a complete results folder; raises :class:`ResultsError` otherwise.

    Refuses a folder that does not exist, has no ``manifest.json`` or one that is not
    a complete Firebreak results manifest, or whose listed files are missing or differ
    (size, then SHA-256) from the manifest.
    """
    d = Path(directory)
    if not d.is_dir():
        raise ResultsError(f"{d}: results folder not found")
    path = d / MANIFEST
    if not path.is_file():
        raise ResultsError(f"{d}: no {MANIFEST}: not a complete results folder (interrupted, or written by an older version?)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable manifest ({exc.__class__.__name__})") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    meta = data.get(RESULTS_KEY) if isinstance(data, dict) else None
    if not isinstance(meta, dict) or meta.get("complete") is not True or not isinstance(meta.get("files"), dict):
        raise ResultsError(f"{path}: not a complete Firebreak results manifest")
    for name, info in meta["files"].items():
        file = d / name
        if not isinstance(info, dict) or not file.is_file():
            raise ResultsError(f"{d}: {name} is listed in {MANIFEST} but missing")
        if file.stat().st_size != info.get("bytes") or sha256_file(file) != info.get("sha256"):
            raise ResultsError(f"{d}: {name} differs from its checksum in {MANIFEST} (changed or partly written)")
    return dict(data)


__all__ = [
    "MANIFEST", "RESULTS_KEY", "ResultsWriter", "atomic_results", "check_writable", "fingerprint",
    "sha256_file", "verify_quietly", "verify_results", "write_file_atomic",
]
