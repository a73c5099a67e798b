-- wrk script: a mix of what platforms send, to check that nothing fails under load.
-- Out of every 20 requests: 12 single lookups by ISRC, 2 by URL, 2 batches of 100 ISRCs,
-- 2 pages of 1,000 change events at random positions, 2 compatibility queries of 20 URLs.
-- Env: BENCH_KEY, BENCH_ISRCS and BENCH_URLS (files, one per line), BENCH_EVENTS (count).
local key = os.getenv("BENCH_KEY")
local events = tonumber(os.getenv("BENCH_EVENTS"))
local isrcs, urls = {}, {}
for line in io.lines(os.getenv("BENCH_ISRCS")) do
  isrcs[#isrcs + 1] = line
end
for line in io.lines(os.getenv("BENCH_URLS")) do
  urls[#urls + 1] = line
end
local bearer = { ["Authorization"] = "Bearer " .. key }
local json = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
local text = { ["Authorization"] = "API " .. key, ["Content-Type"] = "text/plain" }
local threads = {}

local function escape(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed or os.time())
  statuses = {}
  counter = 0
end

function request()
  counter = counter + 1
  local slot = counter % 20
  if slot < 12 then
    return wrk.format("GET", "/api/v1/consent?isrc=" .. isrcs[math.random(#isrcs)], bearer)
  elseif slot < 14 then
    return wrk.format("GET", "/api/v1/consent?url=" .. escape(urls[math.random(#urls)]), bearer)
  elseif slot < 16 then
    local items = {}
    for i = 1, 100 do
      items[i] = '{"isrc":"' .. isrcs[math.random(#isrcs)] .. '"}'
    end
    local body = '{"items":[' .. table.concat(items, ",") .. "]}"
    return wrk.format("POST", "/api/v1/consent/batch", json, body)
  elseif slot < 18 then
    local after = math.random(0, events - 1000)
    return wrk.format("GET", "/api/v1/changes?after=" .. after .. "&limit=1000", bearer)
  else
    local lines = {}
    for i = 1, 20 do
      lines[i] = urls[math.random(#urls)]
    end
    return wrk.format("POST", "/api/v2/query/urls/", text, table.concat(lines, "\n"))
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("STATUS %d %d\n", status, count))
  end
end
