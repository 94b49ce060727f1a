"""Language identification for Norwegian public-sector text: bokmål, nynorsk, English, other.

Built on simplemma's lexicon-based detector (MIT), which knows both written standards. The score of a
language is the share of tokens simplemma recognises as that language; bokmål and nynorsk share most
words, so the margin between them, not the raw score, says how sure we are.
"""

from __future__ import annotations

from dataclasses import dataclass

from simplemma import langdetect

CANDIDATES = ("nb", "nn", "en", "sv", "da")
LABELS = {"nb": "bokmål", "nn": "nynorsk", "en": "engelsk", "other": "annet"}


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # nb | nn | en | other
    confidence: float
    scores: dict[str, float]


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of ``text``. Returns ``other`` (confidence 0) for empty text, and for text
    where Swedish or Danish beat the Norwegian standards."""
    if not text or not text.strip():
        return LanguageGuess("other", 0.0, {})
    ranked = langdetect(text[:20000], lang=CANDIDATES)
    scores = {code: round(float(score), 4) for code, score in ranked if code != "unk"}
    best, best_score = ranked[0]
    if best not in ("nb", "nn", "en") or best_score == 0:
        return LanguageGuess(
            "other", round(1.0 - float(best_score) if best == "unk" else float(best_score), 4), scores
        )
    runner_up = max((s for c, s in scores.items() if c != best), default=0.0)
    # a clear margin over the runner-up means high confidence; a tie means a coin toss
    confidence = 0.5 + 0.5 * min(1.0, (best_score - runner_up) / max(best_score, 1e-9) * 2)
    return LanguageGuess(best, round(confidence, 4), scores)
