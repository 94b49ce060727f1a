"""The built-in services, one package each. They plug in exactly as a third-party service does: through an
entry point in the group ``kommuneki.services`` (pyproject.toml) naming the package's ``spec`` factory
(see docs/architecture.md, "Adding a service"). Nothing here lists them."""
