-- wrk script: each request turns WebSockets on or off for one of the account's resources, at
-- random, through the REST API (the same code path as the portal's "Save changes").
-- Set by portal.sh: TOKEN, FIRST_ID, LAST_ID.
local token = os.getenv("TOKEN")
local first, last = tonumber(os.getenv("FIRST_ID")), tonumber(os.getenv("LAST_ID"))

request = function()
  local id = math.random(first, last)
  local on = math.random(0, 1) == 1 and "true" or "false"
  local body = '{"options": {"websockets": {"enabled": true, "value": ' .. on .. '}}}'
  local headers = { ["Authorization"] = "APIKey " .. token, ["Content-Type"] = "application/json" }
  return wrk.format("PATCH", "/cdn/resources/" .. id, headers, body)
end

local failures = 0
response = function(status)
  if status ~= 200 then failures = failures + 1 end
end

done = function()
  if failures > 0 then io.stderr:write(failures .. " saves did not answer 200\n") end
end
