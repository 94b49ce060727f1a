"""`kommuneki register …`: the AI register from the command line (thin: parse, call service, print)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kommuneki.cli_support import (
    domain_errors,
    emit,
    get_platform,
    json_option,
    progress,
    resolve_tenant_id,
    tenant_option,
)
from kommuneki.config import ConfigError, load_settings
from kommuneki.core.errors import InvalidInput

from . import aiact, public, service


@click.group(
    name="register", help="KI-registeret: kommunens KI-systemer, klassifisering, DPIA/ROS og overvåking."
)
def group() -> None:
    pass


def _no_database(ctx: click.Context) -> bool:
    """True when no database is configured and the default SQLite file does not exist yet."""
    root = ctx.find_root()
    try:
        settings = load_settings(**(root.obj or {}).get("overrides", {}))
    except ConfigError:
        return True
    return not settings.database_url and not (settings.data_dir / "kommuneki.db").exists()


@group.command(
    "export",
    help="Skriv registeret som ett JSON-objekt. Uten database: kommunekis egne tjenester "
    "fra tjeneste- og modellregisteret.",
)
@json_option
@tenant_option
@click.option("--from-registry", is_flag=True, help="Bare fra tjeneste- og modellregisteret, uten database.")
@click.option(
    "--standard",
    type=click.Choice(["kommuneki", "algoritmeregister"]),
    default="kommuneki",
    help="Feltnavn: kommunekis egne, eller den nederlandske algoritmeregister-standarden (v0.3.1).",
)
@click.pass_context
@domain_errors
def export(ctx: click.Context, as_json: bool, tenant: str | None, from_registry: bool, standard: str) -> None:
    if from_registry or (tenant is None and _no_database(ctx)):
        from kommuneki.core.registry import discover

        out = public.export_from_registry(discover())
        if standard == "algoritmeregister":
            out["systems"] = [
                _dutch({**s, "thresholds": {"override_rate": 0.3, "drift_psi": 0.25}}, "")
                for s in out["systems"]
            ]
    else:
        platform = get_platform(ctx)
        tenant_id = resolve_tenant_id(ctx, tenant)
        with platform.db.tenant_session(tenant_id) as session:
            out = public.export_tenant(session, platform.registry, tenant_id, actor="cli")
            if standard == "algoritmeregister":
                from . import register

                org = out["tenant"]["name"]
                out["systems"] = [
                    public.to_algoritmeregister(register.system_dict(session, s), organization=org)
                    for s in register.list_systems(session)
                ]
    emit(out, as_json)


def _dutch(entry: dict, org: str) -> dict:
    sd = {
        **entry,
        "public_summary": "",
        "owner_unit": (entry.get("owner") or {}).get("unit"),
        "owner_person": (entry.get("owner") or {}).get("person"),
        "dpia_ref": entry.get("dpia"),
        "legal_basis": entry.get("legal_basis") or {},
    }
    return public.to_algoritmeregister(sd, organization=org)


@group.command("list", help="List systemene i registeret.")
@json_option
@tenant_option
@click.pass_context
@domain_errors
def list_cmd(ctx: click.Context, as_json: bool, tenant: str | None) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    for s in service.overview(platform, service.cli_principal(tenant_id))["systems"]:
        emit(
            s,
            as_json,
            f"{s['id']:>4}  {s['status']:<9} {s['risk_label'] or 'ikke klassifisert':<34} {s['name']}",
        )


@group.command(
    "add", help="Legg til et eksternt KI-system (for eksempel Copilot eller en leverandørs chatbot)."
)
@click.option("--name", required=True, help="Navn på systemet.")
@click.option("--purpose", default="", help="Formål.")
@click.option("--supplier", default="", help="Leverandør.")
@click.option("--owner-unit", default="", help="Eier (enhet).")
@click.option("--contact", default="", help="Kontakt for innbyggere.")
@click.option("--status", type=click.Choice(["idé", "pilot", "i drift", "avviklet"]), default="idé")
@click.option(
    "--fields",
    "fields_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="JSON-fil med flere registerfelt (feltnavn → verdi).",
)
@json_option
@tenant_option
@click.pass_context
@domain_errors
def add(ctx, name, purpose, supplier, owner_unit, contact, status, fields_file, as_json, tenant) -> None:
    fields = {}
    if fields_file is not None:
        try:
            fields = json.loads(fields_file.read_text())
        except ValueError as exc:
            raise InvalidInput(f"Feltfilen er ikke gyldig JSON: {exc}") from exc
        if not isinstance(fields, dict):
            raise InvalidInput("Feltfilen må inneholde et JSON-objekt.")
    fields.update(
        {
            k: v
            for k, v in {
                "name": name,
                "purpose": purpose,
                "supplier": supplier,
                "owner_unit": owner_unit,
                "contact": contact,
                "status": status,
            }.items()
            if v
        }
    )
    platform = get_platform(ctx)
    out = service.add_external(platform, service.cli_principal(resolve_tenant_id(ctx, tenant)), fields)
    emit(out, as_json, f"La til {out['name']} (id {out['id']}).")


@group.command("classify", help="Kjør spørreskjemaet for KI-forordningen for et system (svar i en JSON-fil).")
@click.argument("system_id", type=int)
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="JSON-fil med svar (spørsmåls-id → svar).",
)
@click.option(
    "--example", type=click.Choice(sorted(aiact.EXAMPLES)), default=None, help="Bruk et ferdig eksempel."
)
@click.option("--rerun", is_flag=True, help="Kjør de siste svarene på nytt mot gjeldende regler.")
@json_option
@tenant_option
@click.pass_context
@domain_errors
def classify(
    ctx,
    system_id: int,
    answers_file: Path | None,
    example: str | None,
    rerun: bool,
    as_json: bool,
    tenant: str | None,
) -> None:
    platform = get_platform(ctx)
    p = service.cli_principal(resolve_tenant_id(ctx, tenant))
    if rerun:
        out = service.rerun_assessment(platform, p, system_id)
    else:
        if answers_file is not None:
            try:
                answers = json.loads(answers_file.read_text())
            except ValueError as exc:
                raise InvalidInput(f"Svarfilen er ikke gyldig JSON: {exc}") from exc
        elif example is not None:
            answers = aiact.EXAMPLES[example]
        else:
            raise InvalidInput("Oppgi --answers FIL, --example NAVN eller --rerun.")
        out = service.run_assessment(platform, p, system_id, answers)
    r = out["result"]
    emit(out, as_json, f"{r['risk_label']}: " + ", ".join(a["article"] for a in r["articles"]))


@group.command(
    "training-basis",
    help="Registrer rettslig grunnlag for å trene en tjenestes modeller på "
    "personopplysninger (tom tekst trekker det tilbake).",
)
@click.argument("service_name")
@click.option("--basis", required=True, help="Lovhjemmel og vurdering (minst ti tegn), eller tom tekst.")
@json_option
@tenant_option
@click.pass_context
@domain_errors
def training_basis(ctx, service_name: str, basis: str, as_json: bool, tenant: str | None) -> None:
    platform = get_platform(ctx)
    service.set_training_basis(
        platform, service.cli_principal(resolve_tenant_id(ctx, tenant)), service_name, basis
    )
    emit(
        {"service": service_name, "recorded": bool(basis.strip())},
        as_json,
        f"Grunnlaget for trening av {service_name} er "
        f"{'registrert' if basis.strip() else 'trukket tilbake'}.",
    )


@group.command("check-alerts", help="Kontroller overstyring og drift mot tersklene og lag varsler.")
@json_option
@tenant_option
@click.pass_context
@domain_errors
def check_alerts(ctx, as_json: bool, tenant: str | None) -> None:
    platform = get_platform(ctx)
    alerts = service.check_alerts(platform, service.cli_principal(resolve_tenant_id(ctx, tenant)))
    for a in alerts:
        emit(
            a, as_json, f"VARSEL {a['metric']} {a['value']:.2f} > {a['threshold']:.2f} ({a['model_version']})"
        )
    if not alerts:
        progress("Ingen nye varsler.")


@group.command(
    "document",
    help="Lag en ny versjon av DPIA, ROS eller FRIA for et system og skriv den som DOCX eller PDF.",
)
@click.argument("system_id", type=int)
@click.argument("doc_type", type=click.Choice(["dpia", "ros", "fria"]))
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), required=True, help="Filnavn (.docx eller .pdf)."
)
@json_option
@tenant_option
@click.pass_context
@domain_errors
def document(ctx, system_id: int, doc_type: str, output: Path, as_json: bool, tenant: str | None) -> None:
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("docx", "pdf"):
        raise InvalidInput("Filnavnet må slutte på .docx eller .pdf.")
    platform = get_platform(ctx)
    p = service.cli_principal(resolve_tenant_id(ctx, tenant))
    doc = service.generate_document(platform, p, system_id, doc_type)
    data, _media, _name = service.export_document(platform, p, doc["id"], fmt)
    output.write_bytes(data)
    emit(
        {"document_id": doc["id"], "version": doc["version"], "output": str(output), "bytes": len(data)},
        as_json,
        f"Skrev {doc_type.upper()} versjon {doc['version']} til {output}.",
    )
