-- wrk script: GET the paths listed in PATHS_FILE (one a line) in turn, each thread starting at
-- its own place in the list, so concurrent requests ask for different customers. Every request
-- carries the session cookie (SESSION_COOKIE, "name=value"); with FRAGMENT=1 it also carries
-- `HX-Request: true`, as the sidebar's shell sends it, and the server answers the fragment alone.
local paths = {}
local position = 0
local thread_count = 0
local headers = {}

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local file = assert(io.open(os.getenv("PATHS_FILE"), "r"))
  for line in file:lines() do
    if line ~= "" then paths[#paths + 1] = line end
  end
  file:close()
  assert(#paths > 0, "PATHS_FILE is empty")
  local threads = tonumber(os.getenv("THREADS")) or 1
  local index = tonumber(thread_index) or 0
  position = math.floor(#paths * index / threads)
  headers["Cookie"] = os.getenv("SESSION_COOKIE")
  headers["Accept"] = "text/html"
  if os.getenv("FRAGMENT") == "1" then headers["HX-Request"] = "true" end
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], headers)
end
