"""Report templates shipped with hostaudit."""
