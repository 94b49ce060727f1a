"""Shared by the fuzz tests: inputs drawn from our regression corpus (tests/regression_corpus, made
here) and mutated — bytes flipped, inserted, deleted, the file cut short or doubled — and the one
property every parser must have: it returns, or raises the domain's InvalidInput (or PayloadTooLarge)
with a Norwegian message. Derandomized, so CI sees the same examples every run."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kommuneki.core.errors import InvalidInput, PayloadTooLarge

CORPUS = Path(__file__).resolve().parent / "regression_corpus"
#: ≥ 300 examples per parser, the same ones every run
FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NORWEGIAN = {"er", "ikke", "kan", "filen", "for", "med", "har", "som", "den", "og", "en", "et", "mangler"}


def corpus(*folders: str) -> list[bytes]:
    return [p.read_bytes() for folder in folders for p in sorted((CORPUS / folder).iterdir()) if p.is_file()]


def _mutate(seed: bytes, edits: list[tuple[int, int, int]], cut: int | None, double: bool) -> bytes:
    data = bytearray(seed + seed if double else seed)
    for kind, pos, value in edits:
        if not data:
            data.append(value)
            continue
        pos %= len(data)
        if kind == 0:
            data[pos] = value
        elif kind == 1:
            data.insert(pos, value)
        else:
            del data[pos]
    if cut is not None and data:
        data = data[: cut % len(data)]
    return bytes(data)


def mutated(*folders: str):
    """The corpus files of ``folders`` as they are, and mutated."""
    seeds = corpus(*folders)
    edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6)
    return st.one_of(
        st.sampled_from(seeds),
        st.builds(_mutate, st.sampled_from(seeds), edits, st.none() | st.integers(0, 1 << 20), st.booleans()),
        st.binary(max_size=64),
    )


def assert_domain_error_or_result(call) -> None:
    """Run ``call``; only a return or InvalidInput/PayloadTooLarge with a Norwegian message may come out."""
    try:
        call()
    except (InvalidInput, PayloadTooLarge) as exc:
        words = set(exc.message.lower().replace(",", " ").replace(".", " ").split())
        assert words & NORWEGIAN, f"not a Norwegian message: {exc.message!r}"
