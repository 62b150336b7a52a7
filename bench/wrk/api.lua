-- POST /api/v1/surveys/<slug>/responses with a new client_submission_id each time.
-- Arguments: <path> <ack file prefix> <run id>. One connection per thread.
dofile("bench/wrk/common.lua")

json_post_scenario(function(sid)
  return '{"client_submission_id": "' .. sid .. '", "center": "KUR", "channel": "online", '
    .. '"answers": {"overall": 5, "nps": 9, "wait": 4}}'
end)
