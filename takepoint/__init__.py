"""Takepoint: on-call, incident and service desk for small IT teams."""
