"""Norwegian numbers spoken as words («hundre og førti», «trettiåtte komma fem») read as digits, with a
map back to the original text so that what is found in the digit form points at the words that gave it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "null": 0,
    "en": 1,
    "ein": 1,
    "ett": 1,
    "eitt": 1,
    "ei": 1,
    "to": 2,
    "tre": 3,
    "fire": 4,
    "fem": 5,
    "seks": 6,
    "sju": 7,
    "syv": 7,
    "åtte": 8,
    "ni": 9,
}
TEENS = {
    "ti": 10,
    "elleve": 11,
    "tolv": 12,
    "tretten": 13,
    "fjorten": 14,
    "femten": 15,
    "seksten": 16,
    "sytten": 17,
    "atten": 18,
    "nitten": 19,
}
TENS = {
    "tjue": 20,
    "tyve": 20,
    "tretti": 30,
    "tredve": 30,
    "førti": 40,
    "femti": 50,
    "seksti": 60,
    "sytti": 70,
    "åtti": 80,
    "nitti": 90,
}
# «en», «ei», «ett» alone are mostly the article: a number only before one of these
ARTICLES = {"en", "ein", "ett", "eitt", "ei"}
AFTER_ARTICLE_NUMBER = {"hundre", "tusen", "komma"}

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def word_value(token: str) -> tuple[int, str] | None:
    """(value, kind) of one number word: kind is unit, teen, tens, tens_unit, hundred or thousand."""
    t = token.lower()
    if t in UNITS:
        return UNITS[t], "unit"
    if t in TEENS:
        return TEENS[t], "teen"
    if t in TENS:
        return TENS[t], "tens"
    for tens, value in TENS.items():  # «førtifem», «tjueen»
        if t.startswith(tens) and t[len(tens) :] in UNITS and t[len(tens) :] not in ("null", "ei"):
            return value + UNITS[t[len(tens) :]], "tens_unit"
    if t == "hundre":
        return 100, "hundred"
    if t == "tusen":
        return 1000, "thousand"
    return None


def _parse(tokens: list[str], i: int) -> tuple[float, int] | None:
    """The number spoken from token ``i`` on: (value, tokens used), or None."""
    total, current, used, last = 0, 0, 0, None
    j = i
    while j < len(tokens):
        t = tokens[j].lower()
        wv = word_value(t)
        if wv is None:
            if t == "og" and last in ("hundred", "thousand") and j + 1 < len(tokens):
                nxt = word_value(tokens[j + 1])
                if nxt and nxt[1] in ("unit", "teen", "tens", "tens_unit"):
                    j += 1
                    continue
            break
        value, kind = wv
        if kind == "hundred":
            current = (current or 1) * 100
        elif kind == "thousand":
            total += (current or 1) * 1000
            current = 0
        elif last is None or last in ("hundred", "thousand") or (last == "tens" and kind == "unit"):
            if last == "tens" and kind == "unit":
                current += value
            else:
                current += value
        else:
            break  # «fem seks»: two numbers, not one
        last = kind
        j += 1
        used = j - i
    if not used:
        return None
    first = tokens[i].lower()
    if used == 1 and first in ARTICLES:
        nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if nxt not in AFTER_ARTICLE_NUMBER:
            return None
    value: float = total + current
    # decimals: «komma fem», «komma to fem»
    if j + 1 < len(tokens) and tokens[j].lower() == "komma":
        digits, k = "", j + 1
        while k < len(tokens):
            wv = word_value(tokens[k])
            if wv and wv[1] == "unit":
                digits += str(wv[0])
            elif tokens[k].isdigit():
                digits += tokens[k]
            else:
                break
            k += 1
        if digits:
            value = float(f"{int(value)}.{digits}")
            used = k - i
    return value, used


@dataclass
class Normalised:
    text: str  # the transcript with spoken numbers as digits
    start_map: list[int]  # for each character of ``text``: its start offset in the original
    end_map: list[int]  # … and its end offset

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.start_map[start], self.end_map[end - 1]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def normalise(text: str) -> Normalised:
    """Numbers spoken as words become digits; everything else is kept as it was, character by character."""
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group(0) for m in matches]
    out: list[str] = []
    start_map: list[int] = []
    end_map: list[int] = []
    pos, i = 0, 0
    while i < len(tokens):
        parsed = _parse(tokens, i) if word_value(tokens[i]) else None
        if parsed is None:
            i += 1
            continue
        value, used = parsed
        a, b = matches[i].start(), matches[i + used - 1].end()
        for k in range(pos, a):
            out.append(text[k])
            start_map.append(k)
            end_map.append(k + 1)
        digits = _fmt(value)
        for _ in digits:
            start_map.append(a)
            end_map.append(b)
        out.append(digits)
        pos, i = b, i + used
    for k in range(pos, len(text)):
        out.append(text[k])
        start_map.append(k)
        end_map.append(k + 1)
    return Normalised("".join(out), start_map, end_map)
