-- Every request is a new guest on its first code page: no cookie (so a new session and guest
-- id), and a network fingerprint of its own, so the network's daily allowance never locks it and
-- every request records a view. The fingerprint is the client's /48 (IPv6) and browser family and
-- major version; gunicorn runs with TRUSTED_PROXY_COUNT=1, so X-Forwarded-For is the client.
-- Addresses are from the documentation prefix 2001:db8::/32: 65,536 /48 networks, times the
-- browser versions below. Nothing is sent to them: they are only header values.
-- Arguments (after "--"): PATHS_FILE OFFSET (where in the fingerprint space this run starts, so
-- that several runs in one day, whose network meters are daily, still find fresh networks).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local NETWORKS = 65536
local BROWSERS = 48 -- Chrome 100 to 147
local STRIDE = 64 -- threads interleave: thread t uses fingerprints t, t + 64, ...

local paths, counter, base, headers

function init(args)
  paths = common.read_paths(args[1])
  base = tonumber(args[2] or "0") + (thread_id or 0)
  counter = 0
  headers = {}
  for name, value in pairs(common.headers) do
    headers[name] = value
  end
end

function request()
  local n = (base + counter * STRIDE) % (NETWORKS * BROWSERS)
  counter = counter + 1
  local network = n % NETWORKS
  local major = 100 + math.floor(n / NETWORKS)
  headers["X-Forwarded-For"] = string.format("2001:db8:%x::%x", network, 1 + counter % 65000)
  headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    .. "Chrome/" .. major .. ".0.0.0 Safari/537.36"
  return wrk.format("GET", paths[(base + counter) % #paths + 1], headers)
end
