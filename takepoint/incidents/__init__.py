"""Incidents: escalation, point person and handoffs, closing the loop."""
