"""Daemon checks."""
