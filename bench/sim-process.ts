/** Runs the simulator in its own process, so its CPU does not count against the collector's. */
import { startSimulator } from '../simulator/server.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { entriesPerDay: number; now: number; latencyMs?: number };
const sim = await startSimulator({
  dataset: { entriesPerDay: config.entriesPerDay },
  now: () => config.now,
  faults: { latencyMs: config.latencyMs ?? 0 },
});
process.stdout.write(`${JSON.stringify({ url: sim.url, token: sim.token })}\n`);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
