"""logs pages (being built)."""
