// Polls a URL every INTERVAL ms from its own process, so that the latency it measures is the
// server's and not the event loop of a benchmark that also drives fifty clients. Stops on SIGTERM
// and prints {"latencies":[ms…],"errors":n} as one line on stdout.
//   node apps/demo/bench/health-prober.mjs <url> [interval-ms (100)]
const [url, interval = "100"] = process.argv.slice(2);
if (!url) {
  console.error("usage: health-prober.mjs <url> [interval-ms]");
  process.exit(2);
}
const latencies = [];
let errors = 0;
let running = true;
process.on("SIGTERM", () => (running = false));
while (running) {
  const t0 = performance.now();
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    if (response.ok) latencies.push(performance.now() - t0);
    else errors++;
  } catch {
    errors++;
  }
  await new Promise((r) => setTimeout(r, Number(interval)));
}
process.stdout.write(`${JSON.stringify({ latencies, errors })}\n`);
