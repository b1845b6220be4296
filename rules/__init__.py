"""Bundled rule packs (YAML data only; this file exists so the packs ship inside the wheel)."""
