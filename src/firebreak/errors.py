"""Firebreak's exception hierarchy.

    FirebreakError            any error Firebreak reports to a user as one line
    ├── SnapshotError         a snapshot file cannot be read at all (names file and line/byte)
    ├── ResultsError          a results folder is missing, incomplete, changed since written, or unwritable
    ├── LabelsError           a labels (ground truth / past decisions) file is unreadable
    ├── SeedsError            a seeds or account-list file is unreadable or empty
    ├── BankError             a hash bank cannot be read at all
    ├── LexiconError          a lexicon file is malformed
    ├── TrustedFlaggersError  a trusted-flagger registry file is unreadable or malformed
    ├── StoreError            the operational store refused or is unreachable
    ├── LearnError            a labels or scorer file is unusable, or training cannot start
    └── ActError              a case / decision / appeal / queue operation was refused
        ├── ReportError       a submitted report is malformed (names the field)
        └── LeaseLost         a work item's lease expired or moved to another worker

Bad *rows* are never exceptions: they are quarantined with a reason.
"""

from __future__ import annotations


class FirebreakError(Exception):
    """Base class: the message is a complete one-line explanation for the user."""


class SnapshotError(FirebreakError):
    """A snapshot file is unreadable (wrong encoding, truncated gzip, not UTF-8...)."""


class ResultsError(FirebreakError):
    """A results folder is missing, incomplete, changed since written, malformed, or cannot be written."""


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


class ActError(FirebreakError):
    """A case, decision, appeal or queue operation was refused (unknown id, wrong state...)."""


class ReportError(ActError):
    """A submitted report is malformed; the message names the field."""


class LeaseLost(ActError):
    """A work item's lease expired or was taken over: the holder must stop working on it."""


class LearnError(FirebreakError):
    """A labels or scorer file is unusable, or the learned scorer cannot be trained."""
