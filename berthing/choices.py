"""Choices of the berthing app."""
