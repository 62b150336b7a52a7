-- A plain GET of one path (the "hello" ceiling, the survey page). Argument: <path>.
dofile("bench/wrk/common.lua")

function init(args)
  start_thread(nil)
  wrk.path = args[1]
end
