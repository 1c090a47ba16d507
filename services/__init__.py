"""The domain: one package per area, each with models, operations (verbs) and queries (reads)."""
