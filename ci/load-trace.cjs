// Trace requests per second and latency percentiles over loopback: CONCURRENCY workers, each with a
// kept-alive connection, ask GET /api/v1/trace for DURATION seconds. Prints one JSON line.
'use strict';
const http = require('http');

const base = new URL(process.env.MSADESK_URL);
const token = process.env.MSADESK_TOKEN;
const paths = (process.env.MSADESK_PATHS || '/api/v1/trace?product=SH-CAM-200').split(' ');
const concurrency = Number(process.env.CONCURRENCY || 16);
const seconds = Number(process.env.DURATION || 10);

function get(agent, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: base.hostname, port: base.port, path, agent, headers: { Authorization: 'Bearer ' + token } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });
}

(async () => {
  const latencies = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = w; Date.now() < end; i++) {
      const t0 = process.hrtime.bigint();
      const status = await get(agent, paths[i % paths.length]);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (status !== 200) errors++;
    }
    agent.destroy();
  }));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.round((latencies.length - 1) * p))];
  console.log(JSON.stringify({
    concurrency, seconds: Number(elapsed.toFixed(2)), requests: latencies.length, errors,
    requests_per_second: Math.round(latencies.length / elapsed),
    p50_ms: Number(pct(0.5).toFixed(2)), p99_ms: Number(pct(0.99).toFixed(2)), max_ms: Number(pct(1).toFixed(2)),
  }));
  if (errors > 0) process.exitCode = 1;
})();
