"""The engine: durable timers and background work, one module per job.

Each job module has `run_once(session, now) -> int`; the loop runs them in a fixed order.
"""
