-- wrk script: single lookups by ISRC, each request a random ISRC of the seeded registry.
-- BENCH_KEY is the API key, BENCH_ISRCS a file of ISRCs, one per line.
local key = os.getenv("BENCH_KEY")
local isrcs = {}
for line in io.lines(os.getenv("BENCH_ISRCS")) do
  isrcs[#isrcs + 1] = line
end
local headers = { ["Authorization"] = "Bearer " .. key }
-- BENCH_RECEIPT=1 asks every answer for a signed receipt (the `receipts` measure).
local suffix = os.getenv("BENCH_RECEIPT") == "1" and "&receipt=true" or ""
-- BENCH_PATH: another endpoint taking `?isrc=` (the `single` measure's ceiling view).
local path = os.getenv("BENCH_PATH") or "/api/v1/consent"

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", path .. "?isrc=" .. isrcs[math.random(#isrcs)] .. suffix, headers)
end
