"""After the incident: blameless reviews, the blame-language lint, redaction and action items."""
