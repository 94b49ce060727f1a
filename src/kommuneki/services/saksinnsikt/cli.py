"""`kommuneki saksinnsikt …`: ``search`` over files with no database (batch and independent
measurement), and ``index`` / ``ask`` / ``grant`` against a tenant's stored index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ...cli_support import json_option
from .engine.search import METHODS, QueryError


@click.group(name="saksinnsikt", help="Saksinnsikt: søk og svar med kildehenvisninger i egne dokumenter.")
def group() -> None:
    pass


def _usage_error(message: str) -> None:
    click.echo(f"Feil: {message}", err=True)
    sys.exit(2)


@group.command("search", help="Søk i filer og mapper (uten database). Én JSON-linje ut per spørsmål.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--queries", "queries_file", type=click.Path(path_type=Path), help="JSON Lines med id og question."
)
@click.option("--k", "k_text", default="10", help="Antall treff per spørsmål (standard 10).")
@click.option("--method", default="hybrid", help="hybrid (standard), bm25 eller dense.")
@click.option("--answer", "with_answer", is_flag=True, help="Gi et uttrukket svar med kildehenvisning.")
@click.option(
    "--cache", "cache_dir", type=click.Path(path_type=Path), help="Mappe for vektorer mellom kjøringer."
)
@json_option
def search(paths, queries_file, k_text, method, with_answer, cache_dir, as_json) -> None:
    from . import filesearch

    if not paths:
        _usage_error("oppgi minst én fil eller mappe.")
    if queries_file is None:
        _usage_error("--queries FIL.jsonl mangler.")
    try:
        k = int(k_text)
    except ValueError:
        k = 0
    if not 1 <= k <= 1000:
        _usage_error("--k må være et heltall fra 1 til 1000.")
    if method not in METHODS:
        _usage_error(f"ukjent metode «{method}» (bruk hybrid, bm25 eller dense).")
    try:
        lines = queries_file.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        _usage_error(f"kan ikke lese spørsmålsfilen {queries_file} (UTF-8 JSON Lines).")
    passages = filesearch.load_passages(list(paths), lambda m: click.echo(f"Advarsel: {m}", err=True))
    if not passages:
        _usage_error("ingen dokumenter kunne leses.")
    cache = filesearch.EmbeddingCache(cache_dir)
    corpus = filesearch.build_corpus(passages, method=method, cache=cache)
    failed = False
    for ident, question, error in filesearch.read_queries(lines):
        if error is None:
            try:
                line = filesearch.answer_line(
                    corpus, passages, ident, question, k=k, method=method, answer=with_answer
                )
            except QueryError as exc:
                error = str(exc)
        if error is not None:
            failed = True
            line = {"id": ident, "error": error, "code": "invalid_input"}
        click.echo(json.dumps(line, ensure_ascii=False))
    sys.exit(1 if failed else 0)
