"""webhooks pages (being built)."""
