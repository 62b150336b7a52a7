-- Shared by the load scenarios (loaded with dofile from the repository root): thread numbering,
-- acknowledgement files and one JSON summary line that bench/load_bench.py reads.
-- wrk tells a script neither which connection a response came on nor which request it answers, so
-- the scenarios keep no per-request state: each acknowledgement is the id the server's reply names
-- (a response number, a registration number), and any connection of a thread may send any request.
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

-- Called from a thread's init(): failures counts units the scenario did not complete; with a prefix,
-- every acknowledged submission id goes to "<prefix>-<thread>.txt".
function start_thread(ack_prefix)
  failures = 0
  if ack_prefix and ack_prefix ~= "" then
    acks = io.open(ack_prefix .. "-" .. index .. ".txt", "w")
  end
end

function acknowledge(id)
  acks:write(id, "\n")
  acks:flush()
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + (thread:get("failures") or 0) end
  local errors = summary.errors
  io.write(string.format('WRKRESULT {"requests": %d, "duration_us": %d, "socket_errors": %d, '
    .. '"http_errors": %d, "failed_units": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, failed, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end

-- A JSON POST scenario: a new UUID-shaped client_submission_id per request, unique per run and
-- thread; a 201 acknowledges the id that ack_pattern captures from the reply.
-- Arguments: <path> <ack file prefix> <run id (8 hex digits)> [kiosk device token, sent as X-Kiosk-Token].
function json_post_scenario(body_for, ack_pattern)
  function init(args)
    path, run, counter = args[1], args[3], 0
    post_headers = {["Content-Type"] = "application/json"}
    if args[4] and args[4] ~= "" then post_headers["X-Kiosk-Token"] = args[4] end
    start_thread(args[2])
  end

  function request()
    counter = counter + 1
    local sid = string.format("%s-%04x-4000-8000-%012x", run, index, counter)
    return wrk.format("POST", path, post_headers, body_for(sid))
  end

  function response(status, headers, body)
    local id = status == 201 and body:match(ack_pattern)
    if id then acknowledge(id) else failures = failures + 1 end
  end
end
