-- Shared by the bench scenarios: browser-like headers, a list of paths to rotate through, and a
-- done() that prints one parseable line for bench/run.py. Load it with dofile() from a scenario.

local common = {}

-- As the TLS-terminating proxy in front of the site passes requests on: the scheme in
-- X-Forwarded-Proto, the client in X-Forwarded-For (2001:db8::/32 is the documentation prefix;
-- nothing is sent there, it is only a header value).
common.headers = {
  ["X-Forwarded-Proto"] = "https",
  ["X-Forwarded-For"] = "2001:db8::1",
  ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    .. "Chrome/140.0.0.0 Safari/537.36",
  ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  ["Accept-Encoding"] = "gzip, br",
  ["Accept-Language"] = "en-US,en;q=0.9",
}

-- One path per line; blank lines are skipped.
function common.read_paths(file)
  local paths = {}
  for line in io.lines(file) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  assert(#paths > 0, "no paths in " .. file)
  return paths
end

-- Threads get ids in setup() so that each can start at a different place in the rotation.
local threads = 0
function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

-- Latencies are in microseconds; 3xx answers (the exact-code search) are not errors for wrk.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max,
    latency.mean
  ))
end

return common
