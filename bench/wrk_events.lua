-- wrk script: replays pre-generated signed callback requests from EVENTS_FILE, each thread
-- starting at a different offset so the server sees distinct events side by side.
local requests = {}
local position = 0
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local file = assert(io.open(os.getenv("EVENTS_FILE"), "r"))
  for line in file:lines() do
    local path, body = line:match("^([^\t]*)\t(.*)$")
    if path then
      requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "text/xml" }, body)
    end
  end
  file:close()
  local index = tonumber(thread_index) or 0
  position = math.floor(#requests * index / 4)
end

function request()
  position = position % #requests + 1
  return requests[position]
end
