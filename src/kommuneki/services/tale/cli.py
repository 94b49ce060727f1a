"""`kommuneki tale …`: transcribe audio and structure notes on the command line, with no database."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from ...cli_support import json_option, progress, tenant_option


@click.group(name="tale", help="Tale til tekst for dokumentasjon i helse og omsorg.")
def group() -> None:
    pass


def _dumps(obj) -> str:
    """JSON with no NaN or Infinity (a model's -inf becomes a finite floor before it gets here)."""

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(obj), ensure_ascii=False, allow_nan=False)


def read_vocabulary(path: Path | None) -> list[str]:
    """One term per line (UTF-8); blank lines and lines starting with # are skipped."""
    if path is None:
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _model_cache() -> Path:
    from ...config import load_settings

    return load_settings().data_dir / "tale-models"


@group.command("transcribe", help="Skriv ut tale fra lydfiler (én JSON-linje per fil med --json).")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Mappe med en CTranslate2-modell (standard: Whisper base fra requirements/tale.txt).",
)
@click.option(
    "--vocabulary",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Ordliste (ett ord eller uttrykk per linje): legemidler, stedsnavn, enheter.",
)
@click.option(
    "--language",
    type=click.Choice(["no", "nn"]),
    default="no",
    show_default=True,
    help="Språk: no (bokmål) eller nn (nynorsk).",
)
@json_option
def transcribe(
    files: tuple[Path, ...], model_dir: Path | None, vocabulary: Path | None, language: str, as_json: bool
) -> None:
    from .engine.audio import AudioError
    from .engine.model import ModelMissing, locate
    from .engine.transcribe import Transcriber

    try:
        transcriber = Transcriber(locate(model_dir, _model_cache()))
    except ModelMissing as exc:
        if as_json:
            click.echo(_dumps({"error": str(exc), "code": "model_missing"}))
        else:
            click.echo(f"Feil: {exc}", err=True)
        sys.exit(2)
    terms = read_vocabulary(vocabulary)
    failed = 0
    for n, path in enumerate(files, 1):
        progress(f"[{n}/{len(files)}] {path}")
        try:
            if not path.is_file():
                raise AudioError("Fant ikke filen.", "not_found")
            result = {
                "path": str(path),
                **transcriber.transcribe(path, language=language, vocabulary=terms).as_dict(),
            }
        except AudioError as exc:
            failed += 1
            result = {"path": str(path), "error": exc.message, "code": exc.code}
        except OSError as exc:
            failed += 1
            result = {
                "path": str(path),
                "error": f"Kunne ikke lese filen: {exc.strerror or exc}",
                "code": "io_error",
            }
        if as_json:
            click.echo(_dumps(result))
        elif "error" in result:
            click.echo(f"{path}: FEIL: {result['error']}")
        else:
            click.echo(f"{path}: {result['text']}")
    if failed:
        progress(f"{failed} av {len(files)} feilet.")
        sys.exit(1)


@group.command("note", help="Lag et strukturert notat av et diktat (lydfil eller .txt-utskrift).")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--template",
    type=click.Choice(["hjemmetjenesten", "fritekst"]),
    default="hjemmetjenesten",
    show_default=True,
    help="Notatmal.",
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Modellmappe for lydfiler (standard: Whisper base).",
)
@click.option(
    "--vocabulary",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Ordliste: legemidler og navn som skal kjennes igjen.",
)
@click.option("--language", type=click.Choice(["no", "nn"]), default="no", show_default=True, help="Språk.")
@json_option
def note(
    file: Path, template: str, model_dir: Path | None, vocabulary: Path | None, language: str, as_json: bool
) -> None:
    from .engine import note as note_engine

    terms = read_vocabulary(vocabulary)
    if not file.is_file():
        _fail({"path": str(file), "error": "Fant ikke filen.", "code": "not_found"}, as_json, 1)
    if file.suffix.lower() == ".txt":
        try:
            transcript = file.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            _fail({"path": str(file), "error": "Teksten må være UTF-8.", "code": "not_utf8"}, as_json, 1)
    else:
        from .engine.audio import AudioError
        from .engine.model import ModelMissing, locate
        from .engine.transcribe import Transcriber

        try:
            transcriber = Transcriber(locate(model_dir, _model_cache()))
        except ModelMissing as exc:
            _fail({"error": str(exc), "code": "model_missing"}, as_json, 2)
        try:
            transcript = transcriber.transcribe(file, language=language, vocabulary=terms).text
        except AudioError as exc:
            _fail({"path": str(file), "error": exc.message, "code": exc.code}, as_json, 1)
    result = {"path": str(file), **note_engine.structure(transcript, template, terms)}
    if as_json:
        click.echo(_dumps(result))
    else:
        for section in result["sections"]:
            if section["text"]:
                click.echo(f"{section['name']}:\n{section['text']}\n")
        for found in result["fields"]:
            click.echo(f"- {found['type']}: {found['value']} {found['unit'] or ''} («{found['text']}»)")


def _fail(obj: dict, as_json: bool, exit_code: int) -> None:
    if as_json:
        click.echo(_dumps(obj))
    else:
        click.echo(f"Feil: {obj['error']}", err=True)
    sys.exit(exit_code)


@group.command(
    "retention", help="Slett diktat etter organisasjonens regler nå (arbeideren gjør det hver time)."
)
@tenant_option
@json_option
@click.pass_context
def retention(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    from ...cli_support import emit, get_platform, resolve_tenant_id
    from . import service

    platform = get_platform(ctx)
    counts = service.apply_retention(platform, resolve_tenant_id(ctx, tenant))
    emit(
        counts,
        as_json,
        f"Slettet {counts['after_export']} etter eksport og {counts['retention']} etter fristen.",
    )


@group.command(
    "settings", help="Vis eller endre innstillingene for tale (språk, mal, ordliste, modell, frister)."
)
@tenant_option
@click.option("--language", type=click.Choice(["no", "nn"]), default=None, help="Språk i diktat.")
@click.option(
    "--template", type=click.Choice(["hjemmetjenesten", "fritekst"]), default=None, help="Notatmal."
)
@click.option(
    "--vocabulary",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Ordliste (ett uttrykk per linje) som erstatter den lagrede.",
)
@click.option(
    "--model", "model_dir", default=None, help="Modellmappe (CTranslate2); «-» for standardmodellen."
)
@click.option("--delete-after-export-days", type=int, default=None, help="Dager etter eksport før sletting.")
@click.option("--retention-days", type=int, default=None, help="Dager før alt slettes.")
@json_option
@click.pass_context
def settings_command(
    ctx, tenant, language, template, vocabulary, model_dir, delete_after_export_days, retention_days, as_json
) -> None:
    from pydantic import ValidationError

    from ...cli_support import emit, get_platform, resolve_tenant_id
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    current = service.get_settings(platform, tenant_id).model_dump()
    changes = {
        "language": language,
        "template": template,
        "vocabulary": read_vocabulary(vocabulary) if vocabulary else None,
        "model_dir": (None if model_dir == "-" else model_dir)
        if model_dir is not None
        else current["model_dir"],
        "delete_after_export_days": delete_after_export_days,
        "retention_days": retention_days,
    }
    merged = {**current, **{k: v for k, v in changes.items() if v is not None or k == "model_dir"}}
    if merged != current:
        if merged["model_dir"]:
            from .engine.model import ModelMissing, locate

            try:
                locate(Path(merged["model_dir"]), platform.settings.data_dir / "tale-models")
            except ModelMissing as exc:
                raise click.ClickException(str(exc)) from exc
        try:
            current = service.set_settings(platform, tenant_id, merged, actor="cli").model_dump()
        except ValidationError as exc:
            raise click.ClickException(f"Ugyldig innstilling: {exc.errors()[0]['msg']}") from exc
    emit(current, as_json)
