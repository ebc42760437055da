"""Small pieces shared by several domains."""
