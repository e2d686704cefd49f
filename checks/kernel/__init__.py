"""Kernel checks: escape-relevant kernel CVEs."""
