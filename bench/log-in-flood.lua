-- wrk script: each request is a log-in to the demo account with a wrong password, as a
-- credential-stuffing flood sends them, so each one costs the portal a full Argon2id check.
-- Set by log-in-flood.sh: PORTAL (host:port), whose origin the portal's change guard asks for.
-- At the end it prints one line, "answered=<n> 401=<n> 503=<n> other=<n>", over all threads.
local portal = os.getenv("PORTAL")

wrk.method = "POST"
wrk.path = "/api/log_in"
wrk.body = "email=demo%40example.com&password=not-the-demo-password"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Origin"] = "http://" .. portal

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

init = function()
  counts = { refused = 0, unavailable = 0, other = 0 }
end

response = function(status)
  if status == 401 then counts.refused = counts.refused + 1
  elseif status == 503 then counts.unavailable = counts.unavailable + 1
  else counts.other = counts.other + 1 end
end

done = function()
  local total = { refused = 0, unavailable = 0, other = 0 }
  for _, thread in ipairs(threads) do
    local counted = thread:get("counts")
    for key, value in pairs(counted) do total[key] = total[key] + value end
  end
  io.write(string.format("answered=%d 401=%d 503=%d other=%d\n",
    total.refused + total.unavailable + total.other, total.refused, total.unavailable, total.other))
end
