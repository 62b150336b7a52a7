-- Full HTML submission as a new respondent: GET the survey page (no cookie), then POST the form
-- with the CSRF token, the session cookie, the signed state and the submission id from that page.
-- Each parsed page is queued in its thread and posted by the thread's next free connection (the
-- session cookie, not the connection, ties the POST to its GET). A thank-you page acknowledges the
-- response number it shows. Arguments: <path> <ack file prefix>.
dofile("bench/wrk/common.lua")

local ready = {}  -- POST requests built from the pages received, oldest first

function init(args)
  path = args[1]
  start_thread(args[2])
end

function request()
  return table.remove(ready, 1) or wrk.format("GET", path)
end

-- Plain find instead of a pattern: a pattern is tried at every position of the 8 KB page, and the
-- load generator shares the two cores with the server.
local function field(body, name)
  local _, value_start = body:find('name="' .. name .. '" value="', 1, true)
  if not value_start then return nil end
  local value_end = body:find('"', value_start + 1, true)
  return value_end and body:sub(value_start + 1, value_end - 1)
end

function response(status, headers, body)
  if status == 200 and body:find("survey-thanks", 1, true) then
    local number = body:match("Номер анкеты: (%d+)")
    if number then acknowledge(number) else failures = failures + 1 end
    return
  end
  local token, state, sid = field(body, "csrf_token"), field(body, "_state"), field(body, "client_submission_id")
  local cookie = (headers["Set-Cookie"] or ""):match("^([^;]+)")
  if status == 200 and token and state and sid and cookie then
    local form = "csrf_token=" .. token .. "&client_submission_id=" .. sid .. "&_page=0&_state=" .. state
                 .. "&_action=submit&overall=5&nps=10"
    table.insert(ready, wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                                  ["Cookie"] = cookie}, form))
  else
    failures = failures + 1
  end
end
