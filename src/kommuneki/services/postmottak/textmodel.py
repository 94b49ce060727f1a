"""The linear text model: one TF-IDF vocabulary, one logistic regression per task (action, unit,
dokumenttype, delete reason). Linear on purpose: a suggestion is explained exactly by the weighted
terms found in the message, which a reviewer can check by reading them highlighted in the text.

Artifacts are joblib files holding plain scikit-learn objects and a metadata dict; load only
artifacts this installation produced or verified (the model registry checks checksums).
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

TASKS = ("action", "unit", "dokumenttype", "delete_reason")
FORMAT = "kommuneki-postmottak-textmodel/1"
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w\-§]+\b|\b\d+(?:[./]\d+)+\b"


@dataclass
class TaskPrediction:
    value: str | None
    confidence: float
    alternatives: list[tuple[str, float]]
    terms: list[dict[str, Any]]  # {"term", "weight"} — contribution to the chosen class


@dataclass
class TextModel:
    vectorizer: Any
    classifiers: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    #: Heads this model's training data could not give (a task with one class only, e.g. action from a
    #: journal export that holds only journalført mail), kept from another model with its own vocabulary.
    base: "TextModel | None" = None
    _feature_names: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.meta.get("name", "postmottak-tekst")

    @property
    def version(self) -> str:
        return self.meta.get("version", "0")

    def feature_names(self) -> np.ndarray:
        if self._feature_names is None:
            self._feature_names = self.vectorizer.get_feature_names_out()
        return self._feature_names

    def predict(
        self, text: str, tasks: tuple[str, ...] = TASKS, top_terms: int = 8
    ) -> dict[str, TaskPrediction]:
        """Predict each task for one text with its top contributing terms."""
        x = self.vectorizer.transform([text])
        idx, vals = x.indices, x.data
        names = self.feature_names()
        out = {}
        for task in tasks:
            clf = self.classifiers.get(task)
            if clf is None:
                continue
            coef = clf.coef_
            # the same arithmetic as predict_proba, without scikit-learn's per-call input validation
            # (which costs more than the product itself for one sparse row)
            scores = coef[:, idx] @ vals + clf.intercept_
            if coef.shape[0] == 1:
                p1 = 1.0 / (1.0 + np.exp(-scores[0]))
                proba = np.array([1.0 - p1, p1])
            else:
                e = np.exp(scores - scores.max())
                proba = e / e.sum()
            order = np.argsort(-proba)
            best = int(order[0])
            classes = clf.classes_
            row = coef[0] * (1 if best == 1 else -1) if coef.shape[0] == 1 else coef[best]
            contrib = vals * row[idx]
            # the evidence shown is what carried the decision: terms made only of stop words
            # ("om", "jeg", "ber om") weigh in the model but say nothing to a reviewer
            terms = []
            for i in np.argsort(-contrib):
                if contrib[i] <= 0 or len(terms) >= top_terms:
                    break
                term = str(names[idx[i]])
                if not is_stop_term(term):
                    terms.append({"term": term, "weight": round(float(contrib[i]), 4)})
            out[task] = TaskPrediction(
                value=str(classes[best]),
                confidence=round(float(proba[best]), 4),
                alternatives=[(str(classes[i]), round(float(proba[i]), 4)) for i in order[1:4]],
                terms=terms,
            )
        if self.base is not None:
            borrowed = tuple(t for t in tasks if t not in self.classifiers and t in self.base.classifiers)
            if borrowed:
                out.update(self.base.predict(text, borrowed, top_terms))
        return out

    def _payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "vectorizer": self.vectorizer,
            "classifiers": self.classifiers,
            "meta": self.meta,
            "base": None if self.base is None else self.base._payload(),
        }

    def dumps(self) -> bytes:
        import joblib

        buf = io.BytesIO()
        joblib.dump(self._payload(), buf, compress=3)
        return buf.getvalue()

    @classmethod
    def _from_payload(cls, obj: Any) -> "TextModel":
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            from ...core.errors import InvalidInput

            raise InvalidInput("Modellfilen er ikke en postmottak-modell.")
        base = obj.get("base")
        return cls(
            obj["vectorizer"],
            obj["classifiers"],
            obj["meta"],
            base=cls._from_payload(base) if base is not None else None,
        )

    @classmethod
    def loads(cls, data: bytes) -> "TextModel":
        import joblib

        return cls._from_payload(joblib.load(io.BytesIO(data)))

    @classmethod
    def load(cls, path: Path) -> "TextModel":
        return cls.loads(Path(path).read_bytes())


def train(
    texts: list[str],
    labels: list[dict[str, str | None]],
    *,
    name: str,
    version: str,
    max_features: int = 30000,
    c: float = 8.0,
) -> TextModel:
    """Train on ``texts`` with per-task labels (a task label of None leaves that row out of the task:
    unit only for mail that is kept, dokumenttype only for journalføring, delete_reason only for
    deletions). Refuses a task with fewer than two classes by leaving it out."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.time()
    vec = TfidfVectorizer(
        lowercase=True,
        ngram_range=(1, 2),
        min_df=3,
        max_df=0.5,
        sublinear_tf=True,
        max_features=max_features,
        token_pattern=TOKEN_PATTERN,
        dtype=np.float32,
    )
    x = vec.fit_transform(texts)
    classifiers = {}
    counts = {}
    for task in TASKS:
        rows = [i for i, lab in enumerate(labels) if lab.get(task)]
        ys = [labels[i][task] for i in rows]
        if len(set(ys)) < 2:
            continue
        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        clf.fit(x[rows], ys)
        clf.coef_ = clf.coef_.astype(np.float32)
        classifiers[task] = clf
        counts[task] = {k: ys.count(k) for k in sorted(set(ys))}
    digest = hashlib.sha256()
    for t in texts:
        digest.update(t.encode("utf-8", "replace"))
    meta = {
        "name": name,
        "version": version,
        "rows": len(texts),
        "class_counts": counts,
        "data_sha256": digest.hexdigest(),
        "training_time_s": round(time.time() - start, 2),
        "vocabulary": len(vec.vocabulary_),
    }
    vec.stop_words_ = None  # large and not needed for transform
    return TextModel(vec, classifiers, meta)


def borrow_missing(model: TextModel, base: TextModel) -> TextModel:
    """Give ``model`` the heads it lacks from ``base`` (only ``base``'s own heads, with ``base``'s
    vocabulary; embedded, so the artifact stays the same when the shipped default changes). The engine
    needs action, unit and dokumenttype; a history with one class for a task (a journal export: only
    journalføres) trains the rest and keeps these. ``meta["borrowed"]`` says which and from where."""
    missing = [t for t in TASKS if t not in model.classifiers and t in base.classifiers]
    if not missing:
        return model
    model.base = TextModel(
        base.vectorizer,
        {t: base.classifiers[t] for t in missing},
        {"name": base.name, "version": base.version, "vocabulary": base.meta.get("vocabulary")},
    )
    model.meta["borrowed"] = {t: f"{base.name} {base.version}" for t in missing}
    return model


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """Norwegian stop words (the stop-words package's list, bokmål and nynorsk forms) and a few more
    that letters to a kommune are full of."""
    from stop_words import get_stop_words

    extra = {
        "hei",
        "mvh",
        "hilsen",
        "helsing",
        "takk",
        "dere",
        "de",
        "kan",
        "få",
        "ber",
        "be",
        "vil",
        "gjerne",
    }
    return frozenset(get_stop_words("norwegian")) | extra


def is_stop_term(term: str) -> bool:
    """A term (one word or a bigram) made only of stop words; header pseudo-words are never stop words."""
    words = term.lower().split()
    stop = _stop_words()
    return bool(words) and all(w in stop for w in words)


def highlight_spans(text: str, terms: list[str], limit: int = 5) -> dict[str, list[list[int]]]:
    """Character spans of each term (case-insensitive, whole words; a bigram matches across spaces)."""
    out = {}
    for term in terms:
        if term.startswith("hdr_"):
            continue
        rx = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in term.split()) + r"(?!\w)", re.I)
        spans = [[m.start(), m.end()] for m in rx.finditer(text)][:limit]
        if spans:
            out[term] = spans
    return out
