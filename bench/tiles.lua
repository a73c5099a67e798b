-- wrk script: full tiles of the seeded transparency log, each request a random one.
-- BENCH_TILES is a file of paths (/log/tile/0/x001/234, /log/tile/entries/567), one per line.
local paths = {}
for line in io.lines(os.getenv("BENCH_TILES")) do
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
