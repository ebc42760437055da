"""The service desk: tickets whose SLA targets run on business calendars."""
