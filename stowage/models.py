"""Models of the stowage app (added by its own issue)."""
