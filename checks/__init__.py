"""The check catalog: one module per check, in folders named after the first segment of its id."""
