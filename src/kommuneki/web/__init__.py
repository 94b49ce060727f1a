"""The web app: factory, authentication, rendering and the core pages and API."""
