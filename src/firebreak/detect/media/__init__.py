"""Media hash matching: PDQ / MD5 hash banks, a fast exact PDQ index, post matching.

    load_bank(path) -> HashBank            bank file, folder of bank files, or saved bank
    HashBank.from_hashes(lines, name=...)  one bank from in-memory hash lines
    HashBank.save(dir)                     saved form that reloads by memory-mapping
    match_posts(posts, bank) -> frame      evidence rows: post, account, signal, detail, weight, distance
    PDQIndex.build(codes) / .search(...)   multi-index hashing, exact at any distance
    brute_force_range_search(...)          the reference matcher the index is tested against
    pdq_from_file(path) -> PdqResult       PDQ hash and quality of an image
"""

from firebreak.detect.media.banks import BankConfig, HashBank, ImportReport, load_bank, parse_bank_file
from firebreak.detect.media.hamming import (
    DEFAULT_DISTANCE,
    QUALITY_THRESHOLD,
    brute_force_range_search,
    codes_to_hex,
    hex_to_codes,
)
from firebreak.detect.media.hashing import PdqResult, pdq_from_file
from firebreak.detect.media.index import PDQIndex
from firebreak.detect.media.match import SIGNAL_MD5, SIGNAL_PDQ, match_posts

__all__ = [
    "DEFAULT_DISTANCE",
    "QUALITY_THRESHOLD",
    "SIGNAL_MD5",
    "SIGNAL_PDQ",
    "BankConfig",
    "HashBank",
    "ImportReport",
    "PDQIndex",
    "PdqResult",
    "brute_force_range_search",
    "codes_to_hex",
    "hex_to_codes",
    "load_bank",
    "match_posts",
    "parse_bank_file",
    "pdq_from_file",
]
