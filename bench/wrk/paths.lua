-- GET a list of paths in turn, with browser headers and, optionally, a session cookie.
-- Arguments (after "--"): PATHS_FILE [COOKIE]
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local paths, next_index, headers

function init(args)
  paths = common.read_paths(args[1])
  next_index = (thread_id or 0) % #paths
  headers = {}
  for name, value in pairs(common.headers) do
    headers[name] = value
  end
  if args[2] and args[2] ~= "" then
    headers["Cookie"] = args[2]
  end
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index], headers)
end
