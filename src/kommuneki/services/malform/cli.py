"""`kommuneki malform scan FILE…`: works with no database; records suggestions with --tenant."""

from __future__ import annotations

from pathlib import Path

import click

from ...cli_support import FileRunner, json_option, tenant_option
from ...ingest import extract
from . import engine, service


@click.group(name="malform", help="Målform: bokmål, nynorsk eller engelsk.")
def group() -> None:
    pass


@group.command("scan", help="Foreslå målform for tekstfiler. Uten --tenant lagres ingenting.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@tenant_option
@click.pass_context
def scan(ctx: click.Context, files: tuple[Path, ...], as_json: bool, tenant: str | None) -> None:
    runner = FileRunner(ctx, as_json=as_json)

    def analyse(path: Path) -> dict:
        data = path.read_bytes()
        if tenant is None:
            p = engine.suggest_malform(extract(data, path.name).text)
            return {
                "file": str(path),
                "kind": p.kind,
                "value": p.value,
                "confidence": p.confidence,
                "explanation": p.explanation,
                "recorded": False,
            }
        platform, tenant_id = runner.platform_and_tenant(tenant)
        s = service.analyse_document(platform, tenant_id, data, filename=path.name, actor="cli", source="cli")
        return {"file": str(path), **s, "recorded": True}

    runner.run(files, analyse, lambda r: f"{r['file']}: {r['value']['language']} ({r['confidence']:.2f})")
