"""hostaudit: an on-host auditor of container-runtime hardening and container-escape preconditions."""

__version__ = "0.1.0"
