"""The platform core: tenants, users and roles, items, suggestions, audit, the service contract.

Knows no service by name."""
