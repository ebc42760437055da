"""The tamper-evident timeline: append-only, hash-chained records of what happened."""
