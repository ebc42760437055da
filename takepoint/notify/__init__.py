"""Notifications: contact methods, rules, the durable outbox and its transports."""
