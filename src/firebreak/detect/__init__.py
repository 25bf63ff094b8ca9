"""Per-entity detection signals.

    normalize          text normalisation with offset maps (NFKD, case, confusables, leet, emoji)
    lexicon            term files (terms/*.toml), load_lexicon(), Lexicon.match / match_batch
    profile            off-platform destinations, menus and prices, minor ages next to selling
    signals            detect_signals(snapshot, bank=None, lexicon=None) -> evidence frame
    discovery          discover_terms(snapshot, flagged, lexicon) -> candidate coded terms
    media              PDQ / MD5 hash banks and post matching

Submodules are imported on use, so ``import firebreak.detect`` stays light.
"""
