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

The code is split by role: ``names_features`` (tokens, sentences, CRF features, document context),
``names_lexicon`` (word lists, the lexicon and the rules on them), ``names_decoding`` (marginals to
spans), ``names_propagation`` (the document-level step); this module holds the model and re-exports
the rest, so ``names.X`` works as before.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .finding import Finding
from .names_decoding import NAME_PARTICLES, iter_names, merge_spans, spans_from_labels, spans_from_marginals
from .names_features import (
    ABBREVIATIONS,
    OPENERS,
    DocContext,
    Resources,
    SentStats,
    resources_from_json,
    sent_stats,
    sentences,
    shape,
    tokenize,
    window_contexts,
)
from .names_lexicon import (
    DATA,
    LEXICON_PATH,
    NOT_PERSONS,
    PARTY_ABBREVIATIONS,
    PUBLIC_ROLE_WORDS,
    ROLE_SUFFIXES,
    ROLE_WORDS,
    SURNAME_SUFFIX,
    build_lexicon,
    is_place,
    load_lexicon,
    not_a_person,
    not_a_person_tokens,
    public_role,
)
from .names_propagation import PROPAGATE_FACTOR, propagate
from .names_public import mark_public

__all__ = [
    "ABBREVIATIONS",
    "CARD_PATH",
    "DATA",
    "DEFAULT_THRESHOLD",
    "GAZETTEER_PATH",
    "LEXICON_PATH",
    "MODEL_PATH",
    "NAME_PARTICLES",
    "NAME_WINDOW",
    "NOT_PERSONS",
    "OPENERS",
    "PARTY_ABBREVIATIONS",
    "PROPAGATE_FACTOR",
    "PUBLIC_ROLE_WORDS",
    "ROLE_SUFFIXES",
    "ROLE_WORDS",
    "SURNAME_SUFFIX",
    "DocContext",
    "NameModel",
    "Resources",
    "SentStats",
    "build_lexicon",
    "detect_names",
    "get_model",
    "is_place",
    "iter_names",
    "load_lexicon",
    "mark_public",
    "merge_spans",
    "model_card",
    "not_a_person",
    "not_a_person_tokens",
    "propagate",
    "public_role",
    "resources_from_json",
    "sent_stats",
    "sentences",
    "shape",
    "spans_from_labels",
    "spans_from_marginals",
    "tokenize",
    "window_contexts",
]

MODEL_PATH = DATA / "names.crfsuite"
GAZETTEER_PATH = DATA / "names_gazetteer.json"
CARD_PATH = DATA / "names_model_card.json"
DEFAULT_THRESHOLD = 0.3  # chosen with scripts/train_names.py --tune (held-out train): best F2 at P >= 0.85
NAME_WINDOW = 6


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

    def find(
        self, text: str, threshold: float | None = None, public_names: Iterable[str] = ()
    ) -> list[Finding]:
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
        # document-level public signals: well-known persons, statements to the press, the same person
        return mark_public(text, out, public_names)


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


def detect_names(text: str, public_names: Iterable[str] = ()) -> list[Finding]:
    model = get_model()
    return model.find(text, public_names=public_names) if model is not None else []


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
