-- wrk script: every thread walks its own share of the pre-generated signed callback requests in
-- EVENTS_FILE once (thread i of THREADS takes lines i*N/T+1 .. (i+1)*N/T), so every request in
-- the window is an event the server has not seen before (apart from the retries the file was made
-- with). A thread that runs out of its share starts again and says so at the end: the run then
-- replayed events and its numbers do not count.
--
-- No thread sends before every thread has loaded its share. wrk starts each thread as soon as
-- that thread's init() returns and loads the next share on its main thread, and only then starts
-- the clock: without a gate the first thread ran alone for seconds before the window (loading a
-- share of 125,000 events takes that long), its requests counted in the totals and the latency
-- histogram, and wrk's main thread took a core meanwhile. The last thread to load creates a
-- marker file; every thread's first request() waits for it.
local ffi = require("ffi")
ffi.cdef("int usleep(unsigned int usec);")

local requests = {}
local gate_open = false
local verify_pending = false
-- Main state only: one marker path for the whole run, handed to every thread in setup().
local gate_path = nil
local position = 0
local wrapped = 0
local thread_count = 0
local threads = {}

function setup(thread)
  if gate_path == nil then
    gate_path = os.tmpname()
    os.remove(gate_path)
  end
  thread:set("gate", gate_path)
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
  verify_pending = index == 0
  if index == count - 1 then
    assert(io.open(gate, "w")):close()
  end
end

-- Blocks this thread (nothing is timed yet: wrk starts a request's clock after request()
-- returns) until the last thread has loaded its share.
local function wait_for_gate()
  for _ = 1, 120000 do
    local marker = io.open(gate, "r")
    if marker then
      marker:close()
      return
    end
    ffi.C.usleep(1000)
  end
  error("the other wrk threads did not load their shares within two minutes")
end

function request()
  -- wrk's main thread calls the first thread's request() once, right after its init(), to check
  -- the request's shape: answer that call without waiting (the others have not loaded yet) and
  -- without using up an event.
  if verify_pending then
    verify_pending = false
    return requests[1]
  end
  if not gate_open then
    wait_for_gate()
    gate_open = true
  end
  if position == #requests then
    position = 0
    wrapped = wrapped + 1
    shares_wrapped = wrapped
  end
  position = position + 1
  sent = position + wrapped * #requests
  return requests[position]
end

function done(summary, latency, reqs)
  if gate_path then
    os.remove(gate_path)
  end
  for i, thread in ipairs(threads) do
    io.write(string.format("thread-share %d: sent=%s wrapped=%s\n", i - 1,
      tostring(thread:get("sent")), tostring(thread:get("shares_wrapped") or 0)))
  end
end
