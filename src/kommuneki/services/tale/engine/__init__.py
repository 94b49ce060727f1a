"""Tale's pure engine: model location and check, audio decoding, transcription with guards, note
structuring. No database, web framework or HTTP client (import-linter checks)."""
