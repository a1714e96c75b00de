-- wrk script for bench/serve_load.sh: every request posts one new lead (a
-- unique e-mail per thread and request, so none is a duplicate) with the
-- webhook secret from $WEBHOOK_SECRET; counts answers that are not 202.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  bad = 0
  wrk.method = "POST"
  wrk.headers["Authorization"] = os.getenv("WEBHOOK_SECRET")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local body = string.format(
    '{"firstName":"Load","lastName":"L%d","email":"load-%d-%d@example.com","city":"Berlin","country":"DE"}',
    n, id, n)
  return wrk.format(nil, "/records", nil, body)
end

function response(status, headers, body)
  if status ~= 202 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local notok = 0
  for _, t in ipairs(threads) do notok = notok + t:get("bad") end
  io.write(string.format("WRK requests=%d seconds=%.3f not202=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, notok, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
