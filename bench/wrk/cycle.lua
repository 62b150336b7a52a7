-- Full HTML submission as a new respondent: GET the survey page (no cookie), then POST the form
-- with the CSRF token, the session cookie, the signed state and the submission id from that page.
-- Run with one connection per thread (wrk -t N -c N): the script's state is per thread.
-- Arguments: <path> <ack file prefix>. Each acknowledged submission id is written to the thread's
-- ack file so that the bench can compare stored with acknowledged.
dofile("bench/wrk/common.lua")

function init(args)
  path = args[1]
  step = "get"
  start_thread(args[2])
end

function request()
  if step == "get" then
    return wrk.format("GET", path)
  end
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie},
                    form)
end

local function field(body, name)
  return body:match('name="' .. name .. '" value="([^"]*)"')
end

function response(status, headers, body)
  if step == "get" then
    local token, state = field(body, "csrf_token"), field(body, "_state")
    sid = field(body, "client_submission_id")
    cookie = (headers["Set-Cookie"] or ""):match("^([^;]+)")
    if status == 200 and token and state and sid and cookie then
      form = "csrf_token=" .. token .. "&client_submission_id=" .. sid .. "&_page=0&_state=" .. state
             .. "&_action=submit&overall=5&nps=10"
      step = "post"
    else
      failures = failures + 1
    end
    return
  end
  if status == 200 and body:find("survey-thanks", 1, true) then
    acknowledge(sid)
  else
    failures = failures + 1
  end
  step = "get"
end
