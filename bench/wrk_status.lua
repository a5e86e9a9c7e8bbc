-- wrk script: counts responses by status across threads and prints the figures run.py reads.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  -- An optional pause (ms) after each response before the connection's next request: 64
  -- clients that each wait, i.e. a chosen offered rate rather than the server's limit.
  -- Random (exponential) pauses of that mean: fixed ones would keep the connections in step,
  -- sending in bursts of 64 together, which no crowd of users does.
  local pause = tonumber(args[1] or "0")
  if pause and pause > 0 then
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
    delay = function()
      return math.floor(-math.log(1 - math.random()) * pause)
    end
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("BENCH status %d %d\n", status, count))
  end
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\n", summary.duration))
  io.write(string.format("BENCH errors %d\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
  io.write(string.format("BENCH timeouts %d\n", summary.errors.timeout))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("BENCH p%d_us %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("BENCH max_us %d\n", latency.max))
end
