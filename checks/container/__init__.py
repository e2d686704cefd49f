"""Container checks."""
