"""Conventions every `kommuneki` command follows, in one place:

* ``--json`` puts only JSON on stdout (one object per line for streams); progress, logs and warnings go
  to stderr.
* ``--tenant`` picks the tenant by slug, kommunenummer or id (default: the only one, or ``demo``).
* A failed input gives its own JSON line with an ``error`` field — an unexpected exception too (logged
  with its traceback on stderr): one bad input never stops a batch; the exit code is 1 if any failed.
* Domain errors end the command with a readable Norwegian message (exit 2), never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click

from .config import ConfigError, load_settings
from .core.errors import DomainError

json_option = click.option("--json", "as_json", is_flag=True, help="Bare JSON på stdout.")
tenant_option = click.option(
    "--tenant", default=None, help="Organisasjon (kortnavn, kommunenummer eller id)."
)


def emit(obj: Any, as_json: bool, human: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False, default=str))
    else:
        click.echo(human if human is not None else json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def progress(message: str) -> None:
    click.echo(message, err=True)


def get_platform(ctx: click.Context):
    """The Platform for this invocation, built once (database upgraded on first use)."""
    from .bootstrap import build_platform

    root = ctx.find_root()
    root.ensure_object(dict)
    if "platform" not in root.obj:
        try:
            settings = load_settings(**root.obj.get("overrides", {}))
            platform = build_platform(settings)  # the registry the commands were mounted from
        except ConfigError as exc:  # also a missing or malformed audit key file
            raise click.ClickException(str(exc)) from exc
        platform.upgrade_db()
        root.obj["platform"] = platform
        root.call_on_close(platform.close)
    return root.obj["platform"]


def resolve_tenant_id(ctx: click.Context, ref: str | None) -> int:
    from .core.accounts import resolve_tenant

    platform = get_platform(ctx)
    with platform.db.installation_session() as session:
        return resolve_tenant(session, ref).id


class FileRunner:
    """Runs one function per input; a failure becomes an error line and the run goes on."""

    def __init__(self, ctx: click.Context, *, as_json: bool):
        self.ctx, self.as_json, self.failed = ctx, as_json, 0

    def platform_and_tenant(self, tenant: str | None):
        return get_platform(self.ctx), resolve_tenant_id(self.ctx, tenant)

    def run(self, inputs: Iterable[Any], fn: Callable[[Any], dict], human: Callable[[dict], str]) -> None:
        inputs = list(inputs)
        for n, inp in enumerate(inputs, 1):
            progress(f"[{n}/{len(inputs)}] {inp}")
            try:
                result = fn(inp)
            except DomainError as exc:
                self.failed += 1
                emit(
                    {"input": str(inp), "error": exc.message, "code": exc.code},
                    self.as_json,
                    f"{inp}: FEIL: {exc.message}",
                )
            except OSError as exc:
                self.failed += 1
                emit(
                    {
                        "input": str(inp),
                        "error": f"Kunne ikke lese filen: {exc.strerror or exc}",
                        "code": "io_error",
                    },
                    self.as_json,
                    f"{inp}: FEIL: {exc.strerror or exc}",
                )
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as exc:  # one bad input never stops the batch (nor hides the others)
                self.failed += 1
                import logging

                logging.getLogger("kommuneki.cli").exception("unexpected error on %s", inp)
                emit(
                    {
                        "input": str(inp),
                        "error": f"Uventet feil ved behandling av filen ({type(exc).__name__}).",
                        "code": "unexpected_error",
                    },
                    self.as_json,
                    f"{inp}: FEIL: uventet feil ({type(exc).__name__})",
                )
            else:
                emit(result, self.as_json, human(result))
        if self.failed:
            progress(f"{self.failed} av {len(inputs)} feilet.")
            self.ctx.exit(1)


def domain_errors(fn: Callable) -> Callable:
    """Turn a DomainError into a clean message and exit code 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            ctx = click.get_current_context()
            as_json = kwargs.get("as_json", False)
            if as_json:
                click.echo(json.dumps({"error": exc.message, "code": exc.code}, ensure_ascii=False))
            else:
                click.echo(f"Feil: {exc.message}", err=True)
            ctx.exit(2)

    return wrapper


def fail(message: str, as_json: bool, code: str = "error", exit_code: int = 1) -> None:
    if as_json:
        click.echo(json.dumps({"error": message, "code": code}, ensure_ascii=False))
    else:
        click.echo(f"Feil: {message}", err=True)
    sys.exit(exit_code)
