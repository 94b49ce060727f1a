"""Person names, the features: tokens and sentences, word shape, the per-word and per-sentence CRF
features (:class:`Resources`) and the document context (how the same word form is written elsewhere in
the document). Part of :mod:`kommuneki.text.pii.names`; must match what the shipped model was trained
with (scripts/train_names.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .names_lexicon import ROLE_WORDS, SURNAME_SUFFIX

# A word and the full stop right after it, or one punctuation character.
_TOKEN_RX = re.compile(r"(\w+(?:[-'’.]\w+)*)(\.?)|[^\w\s]", re.UNICODE)
ABBREVIATIONS = frozenset(
    """pr pst dvs ca osv kl nr mrd mht kr kgl hr f etc dr vs pt mill lat jf bl a e evt
ift iht mfl m fl ifm ang adm dir st fr mr mrs ms prof ref tlf mob stk fig kap avd jr sr""".split()
)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Tokens with character offsets; an initial ("O.") or a known abbreviation keeps its full stop, and a
    full stop followed by another becomes one token ("..")."""
    out: list[tuple[str, int, int]] = []
    append = out.append
    n = len(text)
    taken = 0  # end of a ".." token that swallowed the next match
    for m in _TOKEN_RX.finditer(text):
        w, dot = m.group(1, 2)
        s, e = m.span()
        if w is None:  # punctuation
            if s < taken:
                continue
            if e < n and text[s] == "." and text[e] == ".":
                append(("..", s, e + 1))
                taken = e + 1
            else:
                append((text[s], s, e))
        elif not dot:
            append((w, s, e))
        elif (len(w) == 1 and w.isalpha() and w.isupper()) or "." in w or w.lower() in ABBREVIATIONS:
            append((w + ".", s, e))
        else:
            append((w, s, e - 1))
            if e < n and text[e] == ".":
                append(("..", e - 1, e + 1))
                taken = e + 1
            else:
                append((".", e - 1, e))
    return out


_SENT_END = frozenset({".", "!", "?", "…"})


def sentences(
    tokens: list[tuple[str, int, int]], text: str, max_len: int = 120
) -> list[list[tuple[str, int, int]]]:
    """Split tokens into sentences at end punctuation and at line breaks."""
    out: list[list[tuple[str, int, int]]] = []
    cur: list[tuple[str, int, int]] = []
    for tok in tokens:
        if cur and ("\n" in text[cur[-1][2] : tok[1]] or len(cur) >= max_len):
            out.append(cur)
            cur = []
        cur.append(tok)
        if tok[0] in _SENT_END:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def shape(w: str) -> str:
    """Short word shape: runs of the same character class collapsed (Xx, X.X., dd-dd ...)."""
    out = []
    prev = ""
    for ch in w:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if c != prev:
            out.append(c)
            prev = c
    return "".join(out)[:6]


@dataclass
class Resources:
    """Everything the features look up besides the word itself."""

    first_names: frozenset[str] = frozenset()  # from NorNE train (first token of multi-token PER)
    last_names: frozenset[str] = frozenset()  # from NorNE train (last token of multi-token PER)
    faker_first: frozenset[str] = frozenset()  # faker name lists (many locales)
    faker_last: frozenset[str] = frozenset()
    stats: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # form -> (n, n_per, n_other_ent)
    lexicon: Any = None  # container of lower-case common words (nb + nn)
    _cache: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def in_lexicon(self, lower: str) -> bool:
        return self.lexicon is not None and lower in self.lexicon

    def word_features(self, w: str) -> tuple[tuple[str, ...], ...]:
        """(own features, features at -1, at +1, at -2, at +2) for a word, cached."""
        got = self._cache.get(w)
        if got is not None:
            return got
        low = w.lower()
        sh = shape(w)
        title = w[:1].isupper()
        feats = ["w=" + low, "sh=" + sh]
        n = len(low)
        if n > 2:
            feats += ["s2=" + low[-2:], "s3=" + low[-3:], "p3=" + low[:3]]
        if n > 4:
            feats.append("s4=" + low[-4:])
        if title:
            feats.append("T")
        if w.isupper() and n > 1:
            feats.append("U")
        if n == 1:
            feats.append("L1")
        lex = self.in_lexicon(low)
        if lex:
            feats.append("lex")
            if title:
                feats.append("Tlex")
        fn = w in self.first_names
        ln = w in self.last_names
        ffn = w in self.faker_first
        fln = w in self.faker_last
        if fn:
            feats.append("fn")
        if ln:
            feats.append("ln")
        if ffn:
            feats.append("ffn")
        if fln:
            feats.append("fln")
        if title and not lex and (fn or ffn):
            feats.append("fn!lex")
        if title and SURNAME_SUFFIX.search(low):
            feats.append("sursfx")
        st = self.stats.get(w)
        if st is None:
            g = "g=0"
        else:
            total, per, ent = st
            r = per / total
            g = "g=hi" if r >= 0.7 else "g=mid" if r >= 0.3 else "g=lo" if per else "g=no"
            re_ = ent / total
            feats.append("e=hi" if re_ >= 0.7 else "e=mid" if re_ >= 0.3 else "e=lo" if ent else "e=no")
            feats.append("gc=1" if total == 1 else "gc=2" if total < 5 else "gc=5")
        feats.append(g)
        if low in ROLE_WORDS:
            feats.append("role")
        ctx = ["w=" + low, "sh=" + sh, g]
        if title:
            ctx.append("T")
        if fn or ffn:
            ctx.append("fn")
        if ln or fln:
            ctx.append("ln")
        if lex:
            ctx.append("lex")
        if low in ROLE_WORDS:
            ctx.append("role")
        far = ["w=" + low, "sh=" + sh]
        if low in ROLE_WORDS:
            far.append("role")
        res = (
            tuple(feats),
            tuple("-1:" + f for f in ctx),
            tuple("+1:" + f for f in ctx),
            tuple("-2:" + f for f in far),
            tuple("+2:" + f for f in far),
        )
        if len(self._cache) < 500_000:
            self._cache[w] = res
        return res

    def sentence_features(
        self,
        words: Sequence[str],
        doc: DocContext | None = None,
        own: SentStats | None = None,
        lo: int = 0,
        hi: int | None = None,
    ) -> list[list[str]]:
        """Features of the tokens ``lo``..``hi`` (default: all) in the context of the whole sentence."""
        n = len(words)
        hi = n if hi is None else hi
        first, last = max(0, lo - 2), min(n, hi + 2)
        wf = [None] * first + [self.word_features(w) for w in words[first:last]]
        out = []
        for i in range(lo, hi):
            f = ["b", *wf[i][0]]
            if doc is not None:
                w = words[i]
                if w[:1].isupper() and not w.isupper():
                    if own is None:
                        own = sent_stats(words)
                    dl = doc.lower.get(w.lower(), 0) - (w.lower() in own.lower)
                    dc = doc.capmid.get(w, 0) - (w in own.capmid)
                    dp = doc.pair.get(w, 0) - (w in own.pair)
                    if dl > 0:
                        f.append("d_low")
                    if dc > 0:
                        f.append("d_cap")
                        if i == 0:
                            f.append("BOS&d_cap")
                    if dp > 0:
                        f.append("d_pair")
                    if dl <= 0 and dc <= 0:
                        f.append("d_none")
            if i == 0:
                f.append("BOS")
                if "Tlex" in wf[i][0]:
                    f.append("BOS&Tlex")
            else:
                f.extend(wf[i - 1][1])
                if words[i - 1] in ('"', "«", ":", "-", "–", "»", "("):
                    f.append("after_punct")
                if i == 1:
                    f.append("-1:BOS")
            if i > 1:
                f.extend(wf[i - 2][3])
            if i + 1 < n:
                f.extend(wf[i + 1][2])
            else:
                f.append("EOS")
            if i + 2 < n:
                f.extend(wf[i + 2][4])
            out.append(f)
        return out


# ---------------------------------------------------------------------------------------------------------
# Document context: how the same word form is written elsewhere in the document (other sentences)

OPENERS = frozenset({'"', "«", ":", "-", "–", "»", "(", "•", "*"})


@dataclass(frozen=True)
class SentStats:
    lower: frozenset[str]  # forms written in lower case
    capmid: frozenset[str]  # title-case forms not at the start of the sentence
    pair: frozenset[str]  # title-case forms in a Title Title pair not at the start


def sent_stats(words: Sequence[str]) -> SentStats:
    lower = frozenset([w for w in words if w.islower()])
    capmid, pair = set(), set()
    titles = [w[:1].isupper() and not w.isupper() for w in words]
    n = len(words)
    for i in range(1, n):
        if titles[i] and words[i - 1] not in OPENERS:
            w = words[i]
            capmid.add(w)
            if i + 1 < n and titles[i + 1]:
                pair.add(w)
                pair.add(words[i + 1])
    return SentStats(lower, frozenset(capmid), frozenset(pair))


@dataclass
class DocContext:
    lower: dict[str, int] = field(default_factory=dict)
    capmid: dict[str, int] = field(default_factory=dict)
    pair: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, stats: Iterable[SentStats]) -> DocContext:
        d = cls()
        for st in stats:
            for key in ("lower", "capmid", "pair"):
                target = getattr(d, key)
                for w in getattr(st, key):
                    target[w] = target.get(w, 0) + 1
        return d


def window_contexts(
    sentences_words: Sequence[Sequence[str]], window: int = 15
) -> list[tuple[DocContext, SentStats]]:
    """Document context for corpora without document marks (NorNE): each sentence sees the ``window``
    sentences either side as its document. Used in training and measurement."""
    stats = [sent_stats(w) for w in sentences_words]
    return [(DocContext.of(stats[max(0, i - window) : i + window + 1]), stats[i]) for i in range(len(stats))]


def resources_from_json(data: dict[str, Any], lexicon: Any) -> Resources:
    return Resources(
        first_names=frozenset(data["first_names"]),
        last_names=frozenset(data["last_names"]),
        faker_first=frozenset(data["faker_first"]),
        faker_last=frozenset(data["faker_last"]),
        stats={k: tuple(v) for k, v in data["stats"].items()},
        lexicon=lexicon,
    )
