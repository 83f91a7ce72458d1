-- wrk script: every thread walks its own share of the pre-generated signed callback requests in
-- EVENTS_FILE once (thread i of THREADS takes lines i*N/T .. (i+1)*N/T), so every request in the
-- window is an event the server has not seen before (apart from the retries the file was made
-- with). A thread that runs out of its share starts again and says so at the end: the run then
-- replayed events and its numbers do not count.
local requests = {}
local position = 0
local wrapped = 0
local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

function init(args)
  local total = tonumber(os.getenv("EVENTS")) or 0
  local count = tonumber(os.getenv("THREADS")) or 1
  local index = tonumber(thread_index) or 0
  local first = math.floor(total * index / count) + 1
  local last = math.floor(total * (index + 1) / count)
  local file = assert(io.open(os.getenv("EVENTS_FILE"), "r"))
  local n = 0
  for line in file:lines() do
    n = n + 1
    if n > last then break end
    if n >= first then
      local path, body = line:match("^([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "text/xml" }, body)
    end
  end
  file:close()
end

function request()
  if position == #requests then
    position = 0
    wrapped = wrapped + 1
  end
  position = position + 1
  return requests[position]
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local w = tonumber(thread:get("wrapped")) or 0
    local p = tonumber(thread:get("position")) or 0
    io.write(string.format("thread-share: used=%d wrapped=%d\n", p, w))
  end
end
