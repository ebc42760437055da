"""Users, teams, sign-in, sessions and API tokens."""
