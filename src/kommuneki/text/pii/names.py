"""Person names: a linear-chain CRF (python-crfsuite) trained on NorNE, Bokmål and Nynorsk.

Features per token: the word, affixes, shape, capitalisation, whether the lower-cased word is a common
Norwegian word (simplemma's nb/nn lexicon), gazetteers (first names and surnames seen in NorNE's training
split, faker's name lists, surname suffix classes), how often the word form was part of a PER or other
entity in training, sentence position, and role words before the token (ordfører, rådmann ...), with the
same for the neighbours at ±1 and ±2. The model is trained on all NorNE entity types; a token belongs to
a name when the marginal probability of B-PER + I-PER passes a threshold (recall matters most here).

``scripts/train_names.py`` trains and writes the artifact (``data/names.crfsuite``), the gazetteer
(``data/names_gazetteer.json``) and the model card (``data/names_model_card.json``). At run time the model
and the resources are loaded lazily on first use and cached.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .finding import Finding

DATA = Path(__file__).resolve().parent / "data"
MODEL_PATH = DATA / "names.crfsuite"
GAZETTEER_PATH = DATA / "names_gazetteer.json"
CARD_PATH = DATA / "names_model_card.json"
LEXICON_PATH = DATA / "lexicon_nb_nn.txt.gz"
DEFAULT_THRESHOLD = 0.3  # chosen with scripts/train_names.py --tune (held-out train): best F2 at P >= 0.85

# Role words: before a name they signal a person acting in a public role (a signal, not a rule).
ROLE_WORDS = frozenset(
    """
ordfører ordføraren ordføreren varaordfører varaordføreren rådmann rådmannen kommunedirektør kommunedirektøren
kommunalsjef kommunalsjefen statsråd statsråden statsminister statsministeren minister ministeren
stortingsrepresentant stortingspresident fylkesordfører fylkesmann fylkesmannen statsforvalter
statsforvaltaren
statsforvalteren direktør direktøren generaldirektør sjef sjefen administrerende adm. dir. konsernsjef
styreleder styreleiar styreleiaren styrelederen leder leiar leiaren lederen nestleder partileder partileiar
president presidenten visepresident kong kongen dronning dronningen prins prinsesse kronprins kronprinsesse
biskop biskopen politimester politimesteren rektor rektoren professor dr. dommer dommaren dommeren
ambassadør ambassadøren utenriksminister finansminister justisminister helseminister kunnskapsminister
forsvarsminister kulturminister næringsminister statssekretær statssekretæren riksadvokat sivilombud
talsperson talsmann talskvinne pressetalsmann pressesjef informasjonssjef rådgiver rådgjevar
""".split()
)

PUBLIC_ROLE_WORDS = frozenset(
    """
ordfører ordføraren ordføreren varaordfører varaordføreren rådmann rådmannen kommunedirektør kommunedirektøren
kommunalsjef kommunalsjefen statsråd statsråden statsminister statsministeren minister ministeren
stortingsrepresentant stortingspresident fylkesordfører fylkesmann fylkesmannen statsforvalter
statsforvaltaren
statsforvalteren utenriksminister finansminister justisminister helseminister kunnskapsminister
forsvarsminister kulturminister næringsminister statssekretær statssekretæren riksadvokat sivilombud
politimester politimesteren biskop biskopen kong kongen dronning dronningen kronprins kronprinsesse
president presidenten partileder partileiar dommer dommeren dommaren rektor rektoren direktør direktøren
saksbehandler saksbehandlar saksbehandleren saksbehandlaren enhetsleder einingsleiar avdelingsleder
virksomhetsleder kommuneoverlege kommuneoverlegen kommuneadvokat byråd byrådsleder fylkesrådmann
politiker politikar politikeren fylkesleder fylkesleiar gruppeleder gruppeleiar partisekretær
sentralstyremedlem vararepresentant kommunestyrerepresentant bystyrerepresentant talsperson pressetalsperson
pressevakt fagdirektør leder leiar lederen leiaren styreleder styreleiar konsernsjef generalsekretær
spesialrapportør generalsekretæren
""".split()
)
#: Capitalised words the model may take for a name that never are one (not a natural person).
NOT_PERSONS = frozenset(
    "gud guds herren herrens".split()
)  # run-time signal only; ROLE_WORDS above are model features and must match training

SURNAME_SUFFIX = re.compile(
    r"(?:sen|ssen|son|sson|sdottir|dottir|rud|stad|heim|dal|dahl|land|vik|berg|haug|haugen|nes|ness|by|lie|"
    r"moen|bakken|seth|set|eng|strand|li|holm|gaard|gård|rød|ø|øy|aas|ås|åsen|voll|hus|ung|sæter|seter|tveit|"
    r"sveen|lund|lunde|mo|bø|vold|stø|skog|fjeld|fjell|heim|gren|qvist|ström|stein|borg|hammer)$"
)

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


NAME_WINDOW = 6
PROPAGATE_FACTOR = 0.8  # score of a name mention found only through another mention of the same name

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

_OPENERS = frozenset({'"', "«", ":", "-", "–", "»", "(", "•", "*"})


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
        if titles[i] and words[i - 1] not in _OPENERS:
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


def load_lexicon() -> frozenset[str]:
    """The common-word lexicon the model was trained with: the shipped copy (``data/lexicon_nb_nn.txt.gz``,
    written by scripts/train_names.py; loads in well under a second), else built from simplemma."""
    if LEXICON_PATH.exists():
        import gzip

        return frozenset(gzip.decompress(LEXICON_PATH.read_bytes()).decode("utf-8").split("\n"))
    return build_lexicon()


def build_lexicon() -> frozenset[str]:
    """Lower-case Norwegian word forms (Bokmål and Nynorsk) from simplemma's dictionaries (~5 s)."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    fac = DefaultDictionaryFactory()
    words: set[str] = set()
    for lang in ("nb", "nn"):
        d = fac.get_dictionary(lang)
        words.update(k for k in d.keys() if k.islower())
        words.update(v.decode() if isinstance(v, bytes) else v for v in d.values())
    return frozenset(w for w in words if w.islower())


def resources_from_json(data: dict[str, Any], lexicon: Any) -> Resources:
    return Resources(
        first_names=frozenset(data["first_names"]),
        last_names=frozenset(data["last_names"]),
        faker_first=frozenset(data["faker_first"]),
        faker_last=frozenset(data["faker_last"]),
        stats={k: tuple(v) for k, v in data["stats"].items()},
        lexicon=lexicon,
    )


# ---------------------------------------------------------------------------------------------------------
# Decoding: marginals -> spans

NAME_PARTICLES = frozenset(
    {
        "av",
        "von",
        "van",
        "de",
        "der",
        "den",
        "la",
        "le",
        "da",
        "di",
        "du",
        "dos",
        "bin",
        "ibn",
        "al",
        "el",
        "ten",
        "ter",
        "zu",
        "y",
        "e",
        "&",
    }
)


def spans_from_marginals(
    tagger: Any, n: int, threshold: float, words: Sequence[str] | None = None
) -> list[tuple[int, int, float]]:
    """Token spans (start, end exclusive, mean P(PER)) where P(B-PER)+P(I-PER) passes ``threshold``.
    A new span starts where P(B-PER) exceeds P(I-PER). With ``words``, tokens without an upper-case
    letter (other than name particles such as "av", "von") are taken as outside a name without asking
    for their marginals (saves time; names in NorNE are capitalised)."""
    labels = set(tagger.labels())
    has_b, has_i = "B-PER" in labels, "I-PER" in labels
    out: list[tuple[int, int, float]] = []
    start = -1
    acc = 0.0
    for i in range(n):
        if words is not None and words[i].islower() and words[i] not in NAME_PARTICLES:
            pb = pi = 0.0
        else:
            pb = tagger.marginal("B-PER", i) if has_b else 0.0
            pi = tagger.marginal("I-PER", i) if has_i else 0.0
        p = pb + pi
        if p >= threshold:
            if start >= 0 and pb > pi:
                out.append((start, i, acc / (i - start)))
                start = -1
            if start < 0:
                start, acc = i, 0.0
            acc += p
        elif start >= 0:
            out.append((start, i, acc / (i - start)))
            start = -1
    if start >= 0:
        out.append((start, n, acc / (n - start)))
    return out


def spans_from_labels(labels: Sequence[str]) -> list[tuple[int, int, float]]:
    """Token spans of PER from Viterbi labels (a fixed score of 0.85: no probability in this mode)."""
    out: list[tuple[int, int, float]] = []
    start = -1
    for i, lab in enumerate([*labels, "O"]):
        if start >= 0 and lab != "I-PER":
            out.append((start, i, 0.85))
            start = -1
        if lab == "B-PER" or (lab == "I-PER" and start < 0):
            start = i
    return out


def _name_form(w: str) -> bool:
    """A token that can carry a name from one mention to another: capitalised letters (hyphen allowed)."""
    return len(w) > 1 and w[:1].isupper() and not w.isupper() and w.replace("-", "").isalpha()


def propagate(
    sent_words: Sequence[Sequence[str]],
    sent_spans: Sequence[Sequence[tuple[int, int, float]]],
    window: int | None = None,
    common: Any = None,
    min_source_tokens: int = 1,
    min_source_score: float = 0.0,
    block_before_capital: bool = False,
    factor: float = PROPAGATE_FACTOR,
) -> list[list[tuple[int, int, float, str]]]:
    """Document-level consistency: a capitalised word form that is part of a name found elsewhere in the
    document ("Kari Viken ... Viken sa") is marked as a name where it stands untagged.

    ``sent_spans`` are the tagged spans per sentence; ``window`` limits "the document" to that many
    sentences either side (NorNE has no document marks), None is the whole document. ``common``: a
    container of lower-case common words; a sentence-initial token in it is not marked. Only names of at
    least ``min_source_tokens`` tokens and a score of at least ``min_source_score`` give their forms. With
    ``block_before_capital`` a mention followed by a capitalised word that is not part of the source name
    is left alone (it is likely part of another name: "Farstad Shipping", "Radio Rauland"). Returns the
    added spans per sentence as (start, end, score, the source name); the caller merges them
    (``merge_spans``)."""
    n = len(sent_words)
    sources: list[dict[str, tuple[float, str]]] = []
    for words, spans in zip(sent_words, sent_spans, strict=False):
        got: dict[str, tuple[float, str]] = {}
        for a, b, p in spans:
            if b - a < min_source_tokens or p < min_source_score:
                continue
            name = " ".join(words[a:b])
            for w in words[a:b]:
                if _name_form(w) and p > got.get(w, (0.0, ""))[0]:
                    got[w] = (p, name)
        sources.append(got)
    if not any(sources):
        return [[] for _ in range(n)]
    whole: dict[str, tuple[float, str]] = {}
    if window is None:
        for got in sources:
            for w, v in got.items():
                if v[0] > whole.get(w, (0.0, ""))[0]:
                    whole[w] = v
    out: list[list[tuple[int, int, float, str]]] = []
    for i, (words, spans) in enumerate(zip(sent_words, sent_spans, strict=False)):
        if window is None:
            pool = whole
        else:
            pool = {}
            for got in sources[max(0, i - window) : i + window + 1]:
                for w, v in got.items():
                    if v[0] > pool.get(w, (0.0, ""))[0]:
                        pool[w] = v
        inside = set()
        for a, b, _ in spans:
            inside.update(range(a, b))
        added: list[tuple[int, int, float, str]] = []
        for k, w in enumerate(words):
            if k in inside or w not in pool:
                continue
            if (k == 0 or words[k - 1] in _OPENERS) and common is not None and w.lower() in common:
                continue
            p, name = pool[w]
            if added and added[-1][1] == k:
                a0, _, p0, n0 = added[-1]
                added[-1] = (a0, k + 1, max(p0, p * factor), n0)
            else:
                added.append((k, k + 1, p * factor, name))
        if block_before_capital:
            added = [
                x
                for x in added
                if not (x[1] < len(words) and words[x[1]][:1].isupper() and words[x[1]] not in x[3].split())
            ]
        out.append(added)
    return out


def merge_spans(
    spans: Sequence[tuple[int, int, float]], added: Sequence[tuple[int, int, float, str]]
) -> list[tuple[int, int, float, str | None]]:
    """Tagged spans and propagated ones as one sorted list; a propagated token that touches a tagged span
    extends it (keeping the tagged span's score), otherwise it stands as its own span."""
    merged: list[list[Any]] = sorted(
        [[a, b, p, None] for a, b, p in spans] + [[a, b, p, s] for a, b, p, s in added]
    )
    out: list[list[Any]] = []
    for cur in merged:
        if out and out[-1][1] == cur[0] and (out[-1][3] is None) != (cur[3] is None):
            prev = out[-1]
            if prev[3] is not None:  # propagated then tagged: the tagged span's score and no source
                prev[2], prev[3] = cur[2], None
            prev[1] = cur[1]
        else:
            out.append(cur)
    return [tuple(x) for x in out]  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------
# Run time


class NameModel:
    def __init__(
        self,
        model_path: Path = MODEL_PATH,
        gazetteer_path: Path = GAZETTEER_PATH,
        threshold: float | None = None,
    ) -> None:
        import pycrfsuite

        self.model_path = model_path
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(model_path))
        data = json.loads(gazetteer_path.read_text(encoding="utf-8"))
        self.threshold = float(
            threshold if threshold is not None else data.get("threshold", DEFAULT_THRESHOLD)
        )
        self.resources = resources_from_json(data, load_lexicon())
        self._lock = threading.Lock()
        #: fast mode: the Viterbi labels only (no marginals, no threshold): quicker, lower recall
        self.fast = False
        #: tag only windows of this many tokens either side of a capitalised token (None: the whole
        #: sentence). 6 gives the same names as whole sentences on all of NorNE (bench/skjerming_names.py
        #: --check-window); tokens far from any capital letter cannot be part of a name here.
        self.window: int | None = NAME_WINDOW
        #: document-level step (``propagate`` keyword arguments), None for off; chosen on held-out train
        #: with scripts/train_names.py --tune and recorded in the gazetteer file
        self.propagation: dict[str, Any] | None = data.get("propagation")

    def cannot_hold_name(self, words: Sequence[str]) -> bool:
        """True for a sentence with no upper-case letter except in a first word that is a common word never
        seen as (part of) a name: the model is not run there (it marks only capitalised tokens as names;
        checked to give the same result on NorNE dev: bench/skjerming_names.py --check-skip)."""
        for w in words[1:]:
            if not w.islower() and any(ch.isupper() for ch in w):
                return False
        w0 = words[0] if words else ""
        if not any(ch.isupper() for ch in w0):
            return True
        r = self.resources
        if (
            not r.in_lexicon(w0.lower())
            or w0 in r.first_names
            or w0 in r.last_names
            or w0 in r.faker_first
            or w0 in r.faker_last
        ):
            return False
        st = r.stats.get(w0)
        return st is None or st[1] == 0

    def segments(self, words: Sequence[str]) -> list[tuple[int, int]]:
        """The token ranges to tag: the whole sentence, or merged windows around capitalised tokens."""
        n = len(words)
        if self.window is None:
            return [(0, n)]
        w = self.window
        out: list[list[int]] = []
        for i, x in enumerate(words):
            if x.islower() or not any(ch.isupper() for ch in x):
                continue
            a, b = max(0, i - w), min(n, i + w + 1)
            if out and a <= out[-1][1]:
                out[-1][1] = b
            else:
                out.append([a, b])
        return [(a, b) for a, b in out]

    def tag_tokens(
        self,
        words: Sequence[str],
        threshold: float | None = None,
        doc: DocContext | None = None,
        own: SentStats | None = None,
    ) -> list[tuple[int, int, float]]:
        th = self.threshold if threshold is None else threshold
        spans: list[tuple[int, int, float]] = []
        for a, b in self.segments(words):
            feats = self.resources.sentence_features(words, doc, own, a, b)
            with self._lock:
                if self.fast:
                    got = spans_from_labels(self.tagger.tag(feats))
                else:
                    self.tagger.set(feats)
                    got = spans_from_marginals(self.tagger, b - a, th, words[a:b])
            spans.extend((a + x, a + y, p) for x, y, p in got)
        return spans

    def tag_corpus(
        self, sent_words: Sequence[Sequence[str]], window: int = 15, threshold: float | None = None
    ) -> list[list[tuple[int, int, float]]]:
        """Name spans per sentence of a corpus without document marks (NorNE): the document context and the
        propagation step see ``window`` sentences either side; otherwise as ``find``. For measurement."""
        ctx = window_contexts(sent_words, window)
        tagged = [self.tag_tokens(w, threshold, *c) for w, c in zip(sent_words, ctx, strict=False)]
        if self.propagation is not None:
            added = propagate(sent_words, tagged, window, self.resources.lexicon, **self.propagation)
            tagged = [
                [(a, b, p) for a, b, p, _ in merge_spans(t, ad)] for t, ad in zip(tagged, added, strict=False)
            ]
        # the same filter as ``find`` (so a benchmark measures what runs)
        return [
            [(a, b, p) for a, b, p in t if not not_a_person_tokens(w, a, b)]
            for w, t in zip(sent_words, tagged, strict=False)
        ]

    def find(self, text: str, threshold: float | None = None) -> list[Finding]:
        toks = tokenize(text)
        out: list[Finding] = []
        sents = sentences(toks, text)
        all_words = [[t[0] for t in sent] for sent in sents]
        stats = [sent_stats(w) for w in all_words]
        doc = DocContext.of(stats)
        tagged: list[list[tuple[int, int, float]]] = []
        for words, own in zip(all_words, stats, strict=False):
            spans: list[tuple[int, int, float]] = []
            if not self.cannot_hold_name(words):
                for a, b, p in self.tag_tokens(words, threshold, doc, own):
                    # Trim punctuation at the edges (a name does not start or end with it).
                    while a < b and not any(ch.isalnum() for ch in words[a]):
                        a += 1
                    while b > a and not any(ch.isalnum() for ch in words[b - 1]):
                        b -= 1
                    if a < b:
                        spans.append((a, b, p))
            tagged.append(spans)
        if self.propagation is not None:
            added = propagate(all_words, tagged, None, self.resources.lexicon, **self.propagation)
        else:
            added = [[] for _ in tagged]
        th = self.threshold if threshold is None else threshold
        for sent, words, spans, extra in zip(sents, all_words, tagged, added, strict=False):
            for a, b, p, source in merge_spans(spans, extra) if extra else [(*x, None) for x in spans]:
                s, e = sent[a][1], sent[b - 1][2]
                if not_a_person(text, s, e):
                    continue
                role, role_word = public_role(words, a, b)
                expl: dict[str, Any] = {
                    "detector": "crf_names",
                    "model": self.model_path.name,
                    "mode": "fast" if self.fast else "marginals",
                    "probability": round(p, 4),
                    "tokens": b - a,
                    "threshold": th,
                }
                if source is not None:
                    # not the model's probability here: the score comes from the other mention
                    factor = (self.propagation or {}).get("factor", PROPAGATE_FACTOR)
                    del expl["probability"]
                    expl.update(
                        {
                            "detector": "crf_names+document",
                            "same_name_as": source,
                            "source_probability": round(p / factor, 4),
                            "factor": factor,
                            "reason": f"Samme navn som «{source}» et annet sted i dokumentet "
                            f"(skår = {factor:g} × sannsynligheten der)",
                        }
                    )
                if role_word:
                    expl["role_word"] = role_word
                out.append(Finding("PERSON", s, e, text[s:e], round(min(1.0, p), 4), expl, public_role=role))
        return out


_INITIALS_ONLY = re.compile(r"(?:[A-ZÆØÅ]\.?[\s-]*)+")


def not_a_person(text: str, s: int, e: int) -> bool:
    """Spans that look like a name to the model but cannot be one: a letter or initials alone ("A",
    "M." in "M. bovis", "§ 3 bokstav A"), the first part of a coordinated compound ("Arbeids- og
    inkluderingsdepartementet"), and words that never name a person ("Guds")."""
    span = text[s:e]
    if _INITIALS_ONLY.fullmatch(span) or span.lower() in NOT_PERSONS:
        return True
    if text[e : e + 1] == "-" and re.match(r"-\s+(?:og|eller|,)", text[e : e + 8]):
        return True
    return False


def not_a_person_tokens(words: Sequence[str], a: int, b: int) -> bool:
    """``not_a_person`` on tokens (a tokenised corpus has no character offsets)."""
    span = " ".join(words[a:b])
    if _INITIALS_ONLY.fullmatch(span) or span.lower() in NOT_PERSONS:
        return True
    nxt = words[b : b + 2]
    return span.endswith("-") or (len(nxt) == 2 and nxt[0] == "-" and nxt[1].lower() in ("og", "eller"))


#: Party abbreviations written after a politician's name in Norwegian news: "Anniken Hauglie (H)".
PARTY_ABBREVIATIONS = frozenset("H Ap A Frp FrP Sp SV V KrF MDG R Rødt PP INP".split())
#: Compounds ending in these are role titles too: "visepolitimester", "vaktleder", "partisekretær".
ROLE_SUFFIXES = (
    "leder",
    "leiar",
    "sjef",
    "direktør",
    "ordfører",
    "politimester",
    "minister",
    "representant",
    "sekretær",
    "talsperson",
    "kandidat",
)


def _role_word(low: str) -> bool:
    return low in PUBLIC_ROLE_WORDS or (len(low) > 7 and low.endswith(ROLE_SUFFIXES))


def public_role(words: Sequence[str], a: int, b: int) -> tuple[bool | None, str | None]:
    """A public-role word just before the name, or right after it in an apposition (", ordfører i X"),
    or a party abbreviation in brackets after it ("(H)")."""
    for j in range(max(0, a - 3), a):
        low = words[j].lower()
        if _role_word(low):
            return True, words[j]
    if b + 2 < len(words) and words[b] == "(" and words[b + 1] in PARTY_ABBREVIATIONS and words[b + 2] == ")":
        return True, f"({words[b + 1]})"
    if b < len(words) and words[b] in (",", "(", "–", "-"):
        for j in range(b + 1, min(len(words), b + 3)):
            low = words[j].lower()
            if _role_word(low):
                return True, words[j]
    return None, None


_model: NameModel | None = None
_model_lock = threading.Lock()


def get_model() -> NameModel | None:
    global _model
    if _model is None:
        if not (MODEL_PATH.exists() and GAZETTEER_PATH.exists()):
            return None
        with _model_lock:
            if _model is None:
                _model = NameModel()
    return _model


def detect_names(text: str) -> list[Finding]:
    model = get_model()
    return model.find(text) if model is not None else []


def model_card() -> dict[str, Any]:
    if CARD_PATH.exists():
        return json.loads(CARD_PATH.read_text(encoding="utf-8"))
    return {
        "name": "skjerming-names",
        "version": "0.0.0-untrained",
        "service": "skjerming",
        "intended_use": "Finding person names in Norwegian documents before publication.",
        "training_data": {"description": "not trained yet", "rows": 0, "personal_data": False},
        "metrics": {},
        "limitations": ["No model shipped yet: names are not detected."],
    }


def iter_names(spans: Iterable[tuple[int, int, float]]) -> list[tuple[int, int]]:
    return [(a, b) for a, b, _ in spans]
