"""containerd checks: its config.toml and CRI plugin settings."""
