from __future__ import annotations

import click


@click.group(help="Hei-tjenesten: en liten tjeneste installert som egen pakke.")
def group() -> None:
    pass


@group.command(help="Si hei.")
def hei() -> None:
    click.echo("hei fra en egen pakke")
