-- A kiosk review-book entry: POST /kiosk/reviews (X-Kiosk-Token) with a new client_submission_id each time;
-- acknowledges the registration number from the reply. Arguments: <path> <ack file prefix> <run id> <token>.
dofile("bench/wrk/common.lua")

json_post_scenario(function(sid)
  return '{"client_submission_id": "' .. sid .. '", "entry_type": "suggestion", "topic": "other", '
    .. '"text": "Предложение ' .. sid .. ': продлить часы работы по субботам.", '
    .. '"publish_consent": false, "wants_answer": false}'
end, '"registration_number":%s*"([^"]+)"')
