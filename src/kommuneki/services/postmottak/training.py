"""Training and evaluation of the postmottak text model (pure: lists in, model and figures out).

The shipped default model is made by::

    kommuneki postmottak train --demo --out src/kommuneki/services/postmottak/data

(6,000 demo messages of the ``train`` split, seed 20251), and measured on the ``heldout`` split, which
is generated from other phrasings and another seed.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...ingest.email import parse_message
from . import engine, features
from .textmodel import TextModel, borrow_missing, train

DEMO_TRAIN_N = 6000
DEMO_HELDOUT_N = 3000
MODEL_NAME = "postmottak-tekst"


def task_labels(labels: dict[str, Any]) -> dict[str, str | None]:
    """Per-task training labels from a message's labels."""
    action = labels["action"]
    return {
        "action": action,
        "unit": labels.get("unit") if action != "slettes" else None,
        "dokumenttype": labels.get("dokumenttype") if action == "journalfores" else None,
        "delete_reason": (labels.get("delete_reason") or "other") if action == "slettes" else None,
    }


def train_on(
    raws: Iterable[bytes],
    labels: list[dict[str, Any]],
    *,
    version: str,
    name: str = MODEL_NAME,
    base: TextModel | None = None,
) -> TextModel:
    """Train on messages and their labels. A task the labels give fewer than two classes for is not
    trained; with ``base`` (a tenant's training: the shipped default model) that head is kept from
    ``base`` instead, so a history of one action only (a Noark journal export) still gives a working
    model whose unit and dokumenttype are the tenant's own."""
    texts = [features.model_text(parse_message(r)) for r in raws]
    model = train(texts, [task_labels(lab) for lab in labels], name=name, version=version)
    return borrow_missing(model, base) if base is not None else model


def evaluate(
    model: TextModel, raws: list[bytes], labels: list[dict[str, Any]], received: list | None = None
) -> dict[str, Any]:
    """Accuracy per suggestion kind (the full engine: rules + model + innsyn), and the automation rate
    reachable at 99 % precision for forwarding and for deletion."""
    hits: Counter = Counter()
    totals: Counter = Counter()
    fwd, dele = [], []
    for i, (raw, lab) in enumerate(zip(raws, labels, strict=False)):
        t = engine.triage(
            parse_message(raw), model, received=received[i] if received else None, check_sensitive=False
        )
        totals["action"] += 1
        hits["action"] += t.action == lab["action"]
        if lab["action"] != "slettes":
            totals["unit"] += 1
            hits["unit"] += t.unit == lab["unit"]
        if lab["action"] == "journalfores":
            totals["dokumenttype"] += 1
            hits["dokumenttype"] += t.dokumenttype == lab["dokumenttype"]
        totals["innsyn"] += 1
        hits["innsyn"] += t.innsyn.detected == bool(lab.get("innsyn"))
        if lab.get("innsyn"):
            totals["innsyn_recall"] += 1
            hits["innsyn_recall"] += t.innsyn.detected
        kind = engine.action_kind(t)
        if kind == engine.KINDS["forward"]:
            fwd.append((t.action_confidence, lab["action"] == "videresendes" and lab["unit"] == t.unit))
        elif kind == engine.KINDS["delete"]:
            dele.append((t.action_confidence, lab["action"] == "slettes"))
    n_fwd = sum(1 for lab in labels if lab["action"] == "videresendes")
    n_del = sum(1 for lab in labels if lab["action"] == "slettes")
    return {
        "n": len(raws),
        "accuracy": {k: round(hits[k] / totals[k], 4) for k in totals if totals[k]},
        "support": dict(totals),
        "automation_at_99_precision": {
            "forward": rate_at_precision(fwd, n_fwd, 0.99),
            "delete": rate_at_precision(dele, n_del, 0.99),
        },
    }


def rate_at_precision(scored: list[tuple[float, bool]], n_positive: int, target: float) -> dict[str, Any]:
    """Lowest threshold whose automated set keeps precision ≥ target; the share of all messages of that
    action (``n_positive``) it would automate."""
    best = {"threshold": None, "automated": 0, "rate": 0.0, "precision": None}
    ordered = sorted(scored, key=lambda s: -s[0])
    correct = 0
    for i, (conf, ok) in enumerate(ordered, 1):
        correct += ok
        if i < len(ordered) and ordered[i][0] == conf:
            continue  # a threshold cannot split equal scores
        if correct / i >= target:
            best = {
                "threshold": round(conf, 4),
                "automated": i,
                "rate": round(i / max(n_positive, 1), 4),
                "precision": round(correct / i, 4),
            }
    return best


def train_demo(
    out_dir: Path, *, n_train: int = DEMO_TRAIN_N, n_heldout: int = DEMO_HELDOUT_N, version: str | None = None
) -> dict[str, Any]:
    """Train the default model on the demo corpus, measure it on the held-out split, write the model
    and its card to ``out_dir``. Returns the card."""
    from . import corpus

    start = time.time()
    train_msgs = list(corpus.generate(n_train, split="train"))
    version = version or datetime.now(timezone.utc).strftime("%Y.%m.%d")
    model = train_on([m.raw for m in train_msgs], [m.labels for m in train_msgs], version=version)
    held = list(corpus.generate(n_heldout, split="heldout"))
    metrics = evaluate(model, [m.raw for m in held], [m.labels for m in held], [m.received for m in held])
    card = model_card(model, metrics, training_time_s=round(time.time() - start, 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "default-model.joblib").write_bytes(model.dumps())
    (out_dir / "default-model.card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n")
    return card


TASK_LABELS = {
    "action": "Handling (journalføres, videresendes eller slettes)",
    "unit": "Enhet",
    "dokumenttype": "Dokumenttype",
    "delete_reason": "Slettegrunn",
}


def model_card(
    model: TextModel,
    metrics: dict[str, Any],
    *,
    training_time_s: float | None,
    personal_data: bool = False,
    description: str | None = None,
    lawful_basis: str | None = None,
) -> dict[str, Any]:
    borrowed = model.meta.get("borrowed") or {}
    return {
        "name": model.name,
        "version": model.version,
        "service": "postmottak",
        "intended_use": "Foreslå om en e-post til postmottaket skal journalføres, videresendes eller "
        "slettes, "
        "hvilken enhet den gjelder og hvilken dokumenttype den har. En person avgjør.",
        "training_data": {
            "description": description
            or (
                f"Demokorpus (oppdiktet e-post, faker no_NO), split «train», {model.meta['rows']} meldinger, "
                "frø 20251. Laget med kommuneki.services.postmottak.corpus."
            ),
            "rows": int(model.meta["rows"]),
            "period": None,
            "sha256": model.meta.get("data_sha256"),
            "personal_data": personal_data,
        },
        "metrics": {
            "split": "heldout (andre formuleringer og annet frø enn treningen)",
            **metrics,
            "note": "Tall på demodata er ikke tall for en ekte kommunes innboks.",
        },
        "limitations": [
            "Trent på oppdiktet demopost: nøyaktigheten på ekte post er ukjent før modellen trenes og måles "
            "på kommunens egen historikk.",
            "Ser bare ord og noen hoder, ikke sammenhengen mellom dem; korte meldinger («se vedlegg») er "
            "usikre.",
            "Vedlegg leses bare der det finnes en leser for formatet (PDF, DOCX, OCR leveres av ingest).",
        ]
        + [
            f"{TASK_LABELS[t]} er ikke lært av treningsdataene (færre enn to klasser), men hentet fra {src}."
            for t, src in borrowed.items()
        ],
        "training_time_s": training_time_s,
        "lawful_basis": lawful_basis,
        "model": {
            "type": "TF-IDF (ord og ordpar) + logistisk regresjon per oppgave",
            "vocabulary": model.meta.get("vocabulary"),
            "class_counts": model.meta.get("class_counts"),
            "borrowed_tasks": borrowed,
        },
        "reproduce": "kommuneki postmottak train --demo --out src/kommuneki/services/postmottak/data",
    }
