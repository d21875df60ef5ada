"""HTTP load with wrk (a C load generator), for benchmarks: the same mix of searches as load_test.py.

Why wrk and not only the async Python client: on a 2-core machine the client shares the CPU with
the server it measures. httpx costs about a millisecond of Python per request, which at 32
clients is a good part of a core taken from the server; wrk costs a few microseconds. The figures
keep the shape of `load_test.run_load` (latency_ms p50/p95/p99, throughput_rps, ok, errors).
Install: `apt-get install wrk` (Debian/Ubuntu); `wrk_available()` says whether it is there.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

REPORT_PREFIX = "WRK_JSON "

# Lua for wrk: cycle through prepared requests; print one JSON line with the figures at the end.
SCRIPT = """
local requests = {}
local i = 0
init = function(args)
  for _, r in ipairs(PREPARED) do
    if r.method == "POST" then
      requests[#requests + 1] = wrk.format("POST", r.path, {["Content-Type"] = "application/json"}, r.body)
    else
      requests[#requests + 1] = wrk.format("GET", r.path)
    end
  end
end
request = function()
  i = i + 1
  return requests[(i % #requests) + 1]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format('%s{"requests": %d, "seconds": %.3f, "p50": %.3f, "p95": %.3f, "p99": %.3f, ' ..
    '"max": %.3f, "non2xx": %d, "socket_errors": %d}\\n', "REPORT_PREFIX", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def lua_string(text: str) -> str:
    """A Lua (5.1, as wrk's LuaJIT reads it) string literal of `text`'s UTF-8 bytes: quote and
    backslash escaped, every byte outside printable ASCII as a decimal escape."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_requests(worries: list[str], k: int = 10) -> str:
    """The requests as a Lua table: four POSTs to one GET, as load_test.py's clients send them."""
    rows = []
    for n, worry in enumerate(worries):
        if n % 5 == 4:
            rows.append({"method": "GET", "path": f"/v1/search?q={quote(worry)}&k={k}"})
        else:
            rows.append({"method": "POST", "path": "/v1/search", "body": json.dumps({"query": worry, "k": k})})
    return "PREPARED = {\n" + ",\n".join(
        "{" + ", ".join(f"{key} = {lua_string(value)}" for key, value in row.items()) + "}" for row in rows) + "\n}\n"


def run_wrk(base: str, worries: list[str], seconds: float, connections: int) -> dict:
    """Load `base` with `connections` open connections for `seconds`; one wrk thread (it is C: one is plenty)."""
    with tempfile.TemporaryDirectory(prefix="counsel-wrk-") as folder:
        script = Path(folder) / "search.lua"
        script.write_text(lua_requests(worries) + SCRIPT.replace("REPORT_PREFIX", REPORT_PREFIX), encoding="utf-8")
        completed = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
                                    "-s", str(script), base], capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in completed.stdout.splitlines() if l.startswith(REPORT_PREFIX)), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout.strip()}")
    figures = json.loads(line[len(REPORT_PREFIX):])
    errors = {}
    if figures["non2xx"]:
        errors["HTTP non-2xx"] = figures["non2xx"]
    if figures["socket_errors"]:
        errors["socket"] = figures["socket_errors"]
    ok = figures["requests"] - figures["non2xx"]
    return {"tool": "wrk", "target": base, "seconds": figures["seconds"], "concurrency": connections,
            "requests": figures["requests"], "ok": ok, "errors": errors,
            "throughput_rps": round(ok / figures["seconds"], 1),
            "latency_ms": {key: round(figures[key], 1) for key in ("p50", "p95", "p99", "max")}}
