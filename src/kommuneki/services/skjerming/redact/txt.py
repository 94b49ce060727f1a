"""Plain text: replace each withheld span, then every other occurrence of a withheld string."""

from __future__ import annotations

from typing import Any

from . import MARK, check_spans, sweep_pattern, withheld_strings


def redact_text(text: str, spans: list[tuple[int, int]], *, mark: str = MARK) -> tuple[str, dict[str, Any]]:
    """Returns the redacted text and a report (counts only, no withheld text)."""
    spans = check_spans(text, spans)
    strings = withheld_strings(text, spans)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    pieces, pos = [], 0
    for s, e in merged:
        pieces.append(text[pos:s])
        pieces.append(mark)
        pos = e
    pieces.append(text[pos:])
    out = "".join(pieces)
    swept = 0
    pattern = sweep_pattern(strings)
    if pattern is not None:
        out, swept = pattern.subn(mark, out)
    return out, {"format": "text", "spans": len(merged), "further_occurrences": swept}
