"""The `takepoint` command line: every command works on the configured database directly."""
