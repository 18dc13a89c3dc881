-- wrk script for ci/load-trace.sh: GET the paths in MSADESK_PATHS round-robin with the bearer token,
-- and print one JSON line (requests/s, latency percentiles, errors).
local paths = {}
for p in string.gmatch(os.getenv("MSADESK_PATHS") or "/api/v1/trace?product=PLG-E1", "%S+") do paths[#paths + 1] = p end
local token = os.getenv("MSADESK_TOKEN")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Authorization"] = "Bearer " .. token })
end
local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"seconds":%.2f,"requests_per_second":%.0f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
