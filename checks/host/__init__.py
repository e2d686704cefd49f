"""Host checks."""
