"""The engine's own jobs, in the order they run in their lane, and its durable task kinds."""

from __future__ import annotations

from takepoint.engine import (
    action_items,
    deliver,
    escalate,
    handoffs,
    heartbeats,
    shift_notices,
    tasks,
    triage,
)
from takepoint.lib.registry import DomainParts, Job, Lane

# The order matters: work that creates deliveries runs before the job that sends them.
PARTS = DomainParts(
    name="engine",
    jobs=(
        Job("heartbeats", Lane.PAGING, heartbeats.run_once, batch=heartbeats.BATCH),
        Job("triage", Lane.PAGING, triage.run_once, on_wake=True, batch=triage.BATCH),
        Job(
            "escalate",
            Lane.PAGING,
            escalate.run_once,
            escalate.next_due,
            on_wake=True,
            batch=escalate.BATCH,
        ),
        Job("close_finished", Lane.PAGING, triage.close_finished),
        Job("handoffs", Lane.PAGING, handoffs.run_once),
        Job("tasks", Lane.PAGING, tasks.run_once),
        Job("shift_notices", Lane.PAGING, shift_notices.run_once),
        Job("action_items", Lane.PAGING, action_items.run_once),
        Job(
            "deliver",
            Lane.DELIVERY,
            deliver.run_once,
            deliver.next_due,
            on_wake=True,
            batch=deliver.BATCH,
        ),
    ),
    task_handlers=tasks.HANDLERS,
)
