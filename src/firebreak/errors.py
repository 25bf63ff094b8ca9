"""Firebreak's exception hierarchy.

    FirebreakError            any error Firebreak reports to a user as one line
    ├── SnapshotError         a snapshot file cannot be read at all (names file and line/byte)
    ├── BankError             a hash bank cannot be read at all
    ├── LexiconError          a lexicon file is malformed
    ├── StoreError            the operational store refused or is unreachable
    └── LearnError            a labels or scorer file is unusable, or training cannot start

Bad *rows* are never exceptions: they are quarantined with a reason.
"""

from __future__ import annotations


class FirebreakError(Exception):
    """Base class: the message is a complete one-line explanation for the user."""


class SnapshotError(FirebreakError):
    """A snapshot file is unreadable (wrong encoding, truncated gzip, not UTF-8...)."""


class BankError(FirebreakError):
    """A hash bank file is unreadable as a whole."""


class LexiconError(FirebreakError):
    """A lexicon term file is malformed."""


class StoreError(FirebreakError):
    """The operational store failed."""


class LearnError(FirebreakError):
    """A labels or scorer file is unusable, or the learned scorer cannot be trained."""
