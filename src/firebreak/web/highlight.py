"""Cutting a text into plain and highlighted segments from matched spans (for the evidence view)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the original text; ``term``/``category`` set when it is part of a match."""

    text: str
    term: str | None = None
    category: str | None = None


def segments(text: str, spans: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """``text`` as consecutive segments, matched spans (``start``, ``end``, ``term``, ``category``) marked.

    Overlapping spans merge into one highlighted segment (named after the first);
    spans outside the text are clipped. Joining the segments' texts gives ``text`` back.
    """
    cuts = sorted(
        (max(0, int(s["start"])), min(len(text), int(s["end"])), s.get("term"), s.get("category")) for s in spans
    )
    merged: list[list[Any]] = []
    for start, end, term, category in cuts:
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, term, category])
    out: list[Segment] = []
    pos = 0
    for start, end, term, category in merged:
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], term, category))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
