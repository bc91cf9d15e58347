"""OAuth2: app keys (clients), tokens, revocation and introspection."""
