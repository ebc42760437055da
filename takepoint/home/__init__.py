"""The home page: what needs attention now."""
