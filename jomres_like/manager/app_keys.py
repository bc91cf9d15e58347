"""app keys pages (being built)."""
