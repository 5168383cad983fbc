"""Models of the operations app (added by its own issue)."""
