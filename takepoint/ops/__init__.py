"""Running Takepoint itself: health, metrics, backup and restore, diagnostics."""
