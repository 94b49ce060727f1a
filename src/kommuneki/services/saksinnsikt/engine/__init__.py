"""Saksinnsikt's pure parts: passages, BM25, dense embeddings, fusion, extractive answers and the
outcome of a vedtak. No database, web framework or HTTP client (checked by import-linter)."""
