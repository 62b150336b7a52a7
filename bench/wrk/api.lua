-- POST /api/v1/surveys/<slug>/responses with a new client_submission_id each time.
-- Arguments: <path> <ack file prefix> <run id>. One connection per thread.
dofile("bench/wrk/common.lua")

function init(args)
  path, run, counter = args[1], args[3], 0
  start_thread(args[2])
end

function request()
  counter = counter + 1
  sid = string.format("%s-%04x-4000-8000-%012x", run, index, counter)  -- UUID-shaped, unique per run
  local body = '{"client_submission_id": "' .. sid .. '", "center": "KUR", "channel": "online", '
    .. '"answers": {"overall": 5, "nps": 9, "wait": 4}}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 201 then acknowledge(sid) else failures = failures + 1 end
end
