"""`kommuneki saksinnsikt …`: ``search`` over files with no database (batch and independent
measurement), and ``index`` / ``ask`` / ``grant`` against a tenant's stored index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ...cli_support import domain_errors, emit, get_platform, json_option, resolve_tenant_id, tenant_option
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


@group.command("index", help="Legg en mappe eller et Noark 5-uttrekk inn i organisasjonens søkeindeks.")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--noark", is_flag=True, help="PATH er et arkivuttrekk (arkivstruktur.xml eller mappen med den)."
)
@click.option("--unit", default=None, help="Enhetskode dokumentene i en mappe begrenses til.")
@click.option("--no-embed", is_flag=True, help="Ikke beregn vektorer nå (bare ordsøk til neste gang).")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def index(ctx, path: Path, noark: bool, unit: str | None, no_embed: bool, tenant: str | None, as_json: bool):
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    is_noark = noark or path.name == "arkivstruktur.xml" or (path / "arkivstruktur.xml").exists()
    if is_noark:
        report = service.import_noark(platform, tenant_id, path, actor="cli")
    else:
        report = service.import_folder(platform, tenant_id, path, actor="cli", unit_code=unit)
    for problem in report.problems:
        click.echo(f"Advarsel: {problem}", err=True)
    out = report.as_dict()
    if not no_embed and service.pending_embeddings(platform, tenant_id):
        click.echo("Beregner vektorer for søk på betydning (ordsøk virker allerede) …", err=True)
        service.embed_task(platform, tenant_id, {}, lambda f, m: click.echo(m, err=True) if m else None)
    out["pending_embeddings"] = service.pending_embeddings(platform, tenant_id)
    emit(out, as_json, f"{out['indexed']} lagt inn, {out['unchanged']} uendret, {out['failed']} feilet.")
    if report.failed:
        ctx.exit(1)


@group.command("ask", help="Still et spørsmål til organisasjonens søkeindeks (som operatør: alt).")
@click.argument("question")
@click.option("--k", default=5, type=int, help="Antall avsnitt (standard 5).")
@click.option("--method", default="hybrid", help="hybrid (standard), bm25 eller dense.")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def ask(ctx, question: str, k: int, method: str, tenant: str | None, as_json: bool):
    from ...core.errors import InvalidInput
    from ...core.permissions import cli_principal
    from . import service

    if method not in METHODS:
        raise InvalidInput("Ukjent metode (bruk hybrid, bm25 eller dense).")
    platform = get_platform(ctx)
    res = service.search(
        platform, cli_principal(resolve_tenant_id(ctx, tenant)), question, k=k, method=method, answer=True
    )
    a = res["answer"]
    human = (
        f"{a['text']}\n  (kilde: dokument {a['document_id']}, side {a['page']}, tegn {a['start']}–{a['end']})"
        if a
        else res["no_answer"]
    )
    g = res.get("generated")
    if g and g.get("error"):
        human = f"{g['error']}\n{human}"
    elif g:
        cited = " ".join(
            s["text"] + "".join(f" [dokument {c['document_id']}, side {c['page']}]" for c in s["citations"])
            for s in g["sentences"]
        )
        human = f"KI-generert svar ({g['model']}): {cited or g['no_answer']}\n\nUtdrag: {human}"
    emit(res, as_json, human)


@group.command(
    "settings", help="Vis eller endre innstillingene (kommunens egen språkmodell for genererte svar)."
)
@click.option("--llm-url", default=None, help="Adressen til en OpenAI-kompatibel tjener, slutter på /v1.")
@click.option("--llm-model", default=None, help="Modellnavnet på tjeneren.")
@click.option("--llm-timeout", default=None, type=float, help="Sekunder å vente på svar (1–120).")
@click.option("--llm-passages", default=None, type=int, help="Antall avsnitt modellen får se (1–10).")
@click.option("--llm-api-key-env", default=None, help="Miljøvariabel som holder nøkkelen (lagres ikke).")
@click.option(
    "--llm-allow-public", type=bool, default=None, help="true: tillat en tjener med offentlig adresse."
)
@click.option("--llm-off", is_flag=True, help="Slå av genererte svar.")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def settings_command(
    ctx,
    llm_url,
    llm_model,
    llm_timeout,
    llm_passages,
    llm_api_key_env,
    llm_allow_public,
    llm_off,
    tenant,
    as_json,
):
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.read_session(tenant_id) as session:
        current = service.get_settings(session, tenant_id).model_dump()
    changes = {
        "llm_url": llm_url,
        "llm_model": llm_model,
        "llm_timeout_s": llm_timeout,
        "llm_passages": llm_passages,
        "llm_api_key_env": llm_api_key_env,
        "llm_allow_public": llm_allow_public,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if llm_off:
        changes["llm_url"] = None
    if changes:
        current = service.set_settings(platform, tenant_id, {**current, **changes}, actor="cli").model_dump()
    state = (
        f"på ({current['llm_url']}, modell {current['llm_model'] or 'default'})"
        if current["llm_url"]
        else "av"
    )
    emit(current, as_json, f"Genererte svar: {state}.")


@group.command("journalposter", help="Legg meldinger journalført i postmottak inn i søket nå.")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def journalposter(ctx, tenant: str | None, as_json: bool):
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    report = service.import_journalforte(platform, tenant_id, actor="cli")
    for problem in report.problems:
        click.echo(problem, err=True)
    if report.indexed:
        service.embed_task(platform, tenant_id, {}, lambda *_: None)
    emit(
        report.as_dict(),
        as_json,
        f"{report.indexed} journalførte meldinger lagt inn, {report.unchanged} fra før.",
    )
    if report.failed:
        ctx.exit(1)


@group.command("similar", help="Like saker for et lagret dokument, gruppert etter utfall.")
@click.argument("document_id", type=int)
@tenant_option
@json_option
@click.pass_context
@domain_errors
def similar(ctx, document_id: int, tenant: str | None, as_json: bool):
    from ...core.permissions import cli_principal
    from . import service

    platform = get_platform(ctx)
    res = service.similar_cases(
        platform, cli_principal(resolve_tenant_id(ctx, tenant)), document_id=document_id, record=True
    )
    emit(res, as_json, res["summary"] + "\n" + res["caveat"])


@group.command("grant", help="Gi en bruker tilgang til dokumenter med en tilgangskode (tilgangsrestriksjon).")
@click.argument("username")
@click.argument("code")
@click.option("--revoke", is_flag=True, help="Fjern tilgangen i stedet.")
@tenant_option
@click.pass_context
@domain_errors
def grant(ctx, username: str, code: str, revoke: bool, tenant: str | None):
    from sqlalchemy import select

    from ...core.errors import NotFound
    from ...core.models import User
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.installation_session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"Fant ikke brukeren {username}.")
        user_id = user.id
    (service.revoke if revoke else service.grant)(platform, tenant_id, user_id, code, actor="cli")
    click.echo(f"Tilgang til kode {code} {'fjernet for' if revoke else 'gitt til'} {username}.")
