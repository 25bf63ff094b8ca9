"""CyberTipline response codes and which of them are worth retrying.

The codes are NCMEC's documented list (0 success; 1xxx server errors; 2000
authentication; 3xxx authorisation; 4xxx invalid request, validation or
malformed input; 5xxx no such report or file, already retracted, already
finished). Server errors are transient and retried with backoff; everything
else is a permanent answer about the request and is never retried as is.
"""

from __future__ import annotations

SUCCESS = 0
SERVER_ERROR = 1000
SAVE_FAILED = 1100
UPLOAD_FAILED = 1110
FILE_UPLOAD_FAILED = 1111
RESOURCE_NOT_FOUND = 1210
UPDATE_FAILED = 1300
AUTHENTICATION_REQUIRED = 2000
NOT_AUTHORIZED = 3000
NOT_AUTHORIZED_SUBMISSIONS = 3100
NOT_AUTHORIZED_UPDATES = 3300
INVALID_REQUEST = 4000
VALIDATION_FAILED = 4100
MALFORMED_XML = 4110
MALFORMED_FILE = 4200
REPORT_DOES_NOT_EXIST = 5001
FILE_DOES_NOT_EXIST = 5002
REPORT_ALREADY_RETRACTED = 5101
REPORT_ALREADY_FINISHED = 5102

DESCRIPTIONS: dict[int, str] = {
    SUCCESS: "Success",
    SERVER_ERROR: "Server error",
    SAVE_FAILED: "Failed to save the report",
    UPLOAD_FAILED: "Failed to upload the file",
    FILE_UPLOAD_FAILED: "File upload failed",
    RESOURCE_NOT_FOUND: "Resource not found",
    UPDATE_FAILED: "Failed to update the report",
    AUTHENTICATION_REQUIRED: "Authentication required",
    NOT_AUTHORIZED: "Not authorized",
    NOT_AUTHORIZED_SUBMISSIONS: "Not authorized to submit reports",
    NOT_AUTHORIZED_UPDATES: "Not authorized to update reports",
    INVALID_REQUEST: "Invalid request",
    VALIDATION_FAILED: "Validation failed",
    MALFORMED_XML: "Malformed XML",
    MALFORMED_FILE: "Malformed file",
    REPORT_DOES_NOT_EXIST: "Report does not exist",
    FILE_DOES_NOT_EXIST: "File does not exist",
    REPORT_ALREADY_RETRACTED: "Report has already been retracted",
    REPORT_ALREADY_FINISHED: "Report has already been finished",
}


def describe(code: int) -> str:
    """NCMEC's short description of ``code`` (``"Unknown response code"`` if undocumented)."""
    return DESCRIPTIONS.get(code, "Unknown response code")


def is_retryable(code: int) -> bool:
    """Whether a non-zero ``code`` is transient: only the 1xxx server errors are."""
    return 1000 <= code < 2000
