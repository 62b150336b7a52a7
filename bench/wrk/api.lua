-- POST /api/v1/surveys/<slug>/responses with a new client_submission_id each time; acknowledges the
-- stored response's id from the reply. Arguments: <path> <ack file prefix> <run id>.
dofile("bench/wrk/common.lua")

json_post_scenario(function(sid)
  return '{"client_submission_id": "' .. sid .. '", "center": "KUR", "channel": "online", '
    .. '"answers": {"overall": 5, "nps": 9, "wait": 4}}'
end, '"id":%s*(%d+)')
