"""Checks on the modes and owners of the files that control the runtime (CIS section 3)."""
