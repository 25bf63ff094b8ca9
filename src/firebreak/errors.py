"""Firebreak's exception hierarchy.

    FirebreakError            any error Firebreak reports to a user as one line
    ├── SnapshotError         a snapshot file cannot be read at all (names file and line/byte)
    ├── ResultsError          a scan results folder is missing, incomplete or malformed
    ├── LabelsError           a labels (ground truth / past decisions) file is unreadable
    ├── SeedsError            a seeds or account-list file is unreadable or empty
    ├── BankError             a hash bank cannot be read at all
    ├── LexiconError          a lexicon file is malformed
    ├── TrustedFlaggersError  a trusted-flagger registry file is unreadable or malformed
    └── StoreError            the operational store refused or is unreachable

Bad *rows* are never exceptions: they are quarantined with a reason.
"""

from __future__ import annotations


class FirebreakError(Exception):
    """Base class: the message is a complete one-line explanation for the user."""


class SnapshotError(FirebreakError):
    """A snapshot file is unreadable (wrong encoding, truncated gzip, not UTF-8...)."""


class ResultsError(FirebreakError):
    """A scan results folder or file is missing, incomplete or malformed."""


class LabelsError(FirebreakError):
    """A labels file (``account, role, network``) is missing or malformed."""


class SeedsError(FirebreakError):
    """A file of account ids (seeds, accounts under review) is unreadable or holds no id."""


class BankError(FirebreakError):
    """A hash bank file is unreadable as a whole."""


class LexiconError(FirebreakError):
    """A lexicon term file is malformed."""


class TrustedFlaggersError(FirebreakError):
    """A trusted-flagger registry file (``account, organisation, since``) is unreadable or malformed."""


class StoreError(FirebreakError):
    """The operational store failed."""
