"""The request shapes every side is driven with, as wrk Lua scripts: the same alerts, one per
request or 100 per request, to Takepoint, to Alertmanager and to the do-nothing ceiling."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness import BATCH, Estate
from benchmarks.ingest import BATCH_LUA, DISTINCT_GROUPS, EVENTS_LUA, _group

# One alert per request, never the same twice, to Alertmanager's own API.
AM_SINGLE_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = '[{"labels":{"alertname":"DiskFull","instance":"txn-'
    .. tostring(counter) .. '-' .. tostring(math.random(1, 1000000000))
    .. '","severity":"critical"},"annotations":{"summary":"disk /var 96%% full"}}]'
  return wrk.format("POST", "/api/v2/alerts", {["Content-Type"] = "application/json"}, body)
end
"""

# Groups of 100 alerts, the same 100 groups over and over, as monitoring re-sends them.
AM_BATCH_LUA = """
bodies = {}
for i = 1, %(groups)d do
  bodies[i] = io.open("%(dir)s/am-group-" .. i .. ".json"):read("*a")
end
counter = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter %% #bodies) + 1]
  return wrk.format("POST", "/api/v2/alerts", {["Content-Type"] = "application/json"}, body)
end
"""

# A steady rate of re-sent events (1,000 alerts, each repeated) instead of as fast as possible:
# each connection waits before its next request.
PACED_EVENTS_LUA = """
keys = {%(keys)s}
counter = 0
request = function()
  counter = counter + 1
  local key = keys[(counter %% #keys) + 1]
  local body = '{"routing_key":"' .. key .. '","event_action":"trigger","dedup_key":"paced-'
    .. tostring(counter %% 1000) .. '",'
    .. '"payload":{"summary":"disk /var 96%% full","source":"txn-01","severity":"warning"}}'
  return wrk.format("POST", "/v2/enqueue", {["Content-Type"] = "application/json"}, body)
end
delay = function()
  return %(delay_ms)d
end
"""


def _alertmanager_group(index: int) -> list[dict[str, object]]:
    # The very alerts of Takepoint's group `index`, in Alertmanager's postable form.
    alerts = _group(index)["alerts"]
    assert isinstance(alerts, list)
    return [
        {
            "labels": alert["labels"],
            "annotations": alert["annotations"],
            "startsAt": alert["startsAt"],
            "generatorURL": alert["generatorURL"],
        }
        for alert in alerts
    ]


def _quoted(values: list[str]) -> str:
    return ",".join(f'"{value}"' for value in values)


def write_scripts(work: Path, estate: Estate) -> dict[str, Path]:
    """Every Lua script of a run, written into `work`; returns them by name."""
    for index in range(DISTINCT_GROUPS):
        (work / f"group-{index + 1}.json").write_text(json.dumps(_group(index)))
        (work / f"am-group-{index + 1}.json").write_text(json.dumps(_alertmanager_group(index)))
    paths = [f"/integrations/{key}/alertmanager" for key in estate.alertmanager]
    scripts = {
        "events": EVENTS_LUA % {"keys": _quoted(estate.pagerduty)},
        "batch": BATCH_LUA % {"paths": _quoted(paths), "groups": DISTINCT_GROUPS, "dir": work},
        "am-single": AM_SINGLE_LUA,
        "am-batch": AM_BATCH_LUA % {"groups": DISTINCT_GROUPS, "dir": work},
    }
    written = {}
    for name, script in scripts.items():
        written[name] = work / f"{name}.lua"
        written[name].write_text(script)
    return written


def write_paced(work: Path, estate: Estate, delay_ms: int) -> Path:
    path = work / "paced.lua"
    path.write_text(PACED_EVENTS_LUA % {"keys": _quoted(estate.pagerduty), "delay_ms": delay_ms})
    return path


ALERTS_PER_BATCH = BATCH
