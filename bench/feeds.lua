-- wrk script: the public feeds, each request a random path of BENCH_FEED_PATHS (one per line).
local paths = {}
for line in io.lines(os.getenv("BENCH_FEED_PATHS")) do
  paths[#paths + 1] = line
end

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

-- Counts each status, so that 404s and 503s show in the figures (wrk counts them as answers).
local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
