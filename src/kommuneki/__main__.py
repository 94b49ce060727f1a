"""`python -m kommuneki` runs the CLI."""

from kommuneki.cli import main

main()
