"""Models of the customs app (added by its own issue)."""
