"""The developer docs keep up with the code: every setting (with its default), every CLI command and every
/api/v1 endpoint is documented. A service may document its own commands and endpoints in
docs/services/<service>.md instead of docs/cli.md / docs/api.md."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from kommuneki.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _read(name: str) -> str:
    path = DOCS / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _service_doc(segment: str) -> str:
    return _read(f"services/{segment}.md")


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_documented_with_its_default(name):
    doc = _read("settings.md")
    var = f"`KOMMUNEKI_{name.upper()}`"
    lines = [line for line in doc.splitlines() if var in line and line.startswith("|")]
    assert lines, f"{var} is missing from the table in docs/settings.md"
    default = Settings.model_fields[name].default
    shown = "(empty)" if default is None else f"`{default}`"
    assert shown in lines[0], f"docs/settings.md gives another default for {var} (code: {default!r})"
    description = lines[0].split("|")[3].strip()
    assert len(description) > 10, f"docs/settings.md does not say what {var} means"


def _commands(cmd: click.Command, path: list[str]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            yield from _commands(sub, path + [name])


def test_every_cli_command_is_documented():
    from kommuneki.cli import main

    doc = _read("cli.md")
    missing = []
    for path, _cmd in _commands(main, ["kommuneki"]):
        name = f"`{' '.join(path)}`"
        if name in doc or (len(path) > 1 and name in _service_doc(path[1])):
            continue
        missing.append(" ".join(path))
    assert not missing, f"document these commands in docs/cli.md (or docs/services/<service>.md): {missing}"


def test_the_command_walk_reaches_service_groups():
    # the walk above is recursive and includes the groups services mount
    from kommuneki.cli import main

    paths = {" ".join(p) for p, _ in _commands(main, ["kommuneki"])}
    assert {"kommuneki audit verify", "kommuneki malform scan"} <= paths


def test_every_api_endpoint_is_documented(tmp_path):
    from kommuneki.core.platform import Platform
    from kommuneki.web.app import create_app

    platform = Platform.from_settings(Settings(data_dir=tmp_path))
    try:
        schema = create_app(platform=platform).openapi()
    finally:
        platform.close()
    doc = _read("api.md")
    endpoints = [(m.upper(), p) for p, ops in schema["paths"].items() if p.startswith("/api/v1") for m in ops]
    assert ("GET", "/api/v1/suggestions") in endpoints and len(endpoints) > 20
    missing = [
        f"{m} {p}"
        for m, p in endpoints
        if f"`{m} {p}`" not in doc and f"`{m} {p}`" not in _service_doc(p.split("/")[3])
    ]
    assert not missing, f"document these endpoints in docs/api.md (or docs/services/<service>.md): {missing}"


def test_api_doc_describes_the_error_shape_and_authentication():
    doc = _read("api.md")
    for needle in (
        '{"error": {"code"',
        "X-CSRF-Token",
        "Authorization: Bearer",
        "not_authenticated",
        "payload_too_large",
        "too_many_requests",
    ):
        assert needle in doc, needle


def test_architecture_doc_covers_the_core_design():
    doc = _read("architecture.md")
    for heading in (
        "Tenant isolation",
        "Audit log",
        "Ingest",
        "Service registry",
        "Explanation schemas",
        "Adding a service",
    ):
        assert f"## {heading}" in doc, heading
