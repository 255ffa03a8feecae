/** `audit-archive simulate`: serves the simulated Intercom until interrupted. */
import { startSimulator } from '../../simulator/server.ts';
import type { Faults } from '../../simulator/faults.ts';

export async function runSimulate(options: { port: number; faults: Faults; entriesPerDay: number; seed: number }): Promise<void> {
  const sim = await startSimulator({
    port: options.port,
    faults: options.faults,
    dataset: { entriesPerDay: options.entriesPerDay, seed: options.seed },
  });
  process.stdout.write(
    [
      `simulated Intercom listening on ${sim.url} (workspace ${sim.workspace.workspaceId})`,
      `  export INTERCOM_API_URL=${sim.url}`,
      `  export INTERCOM_ACCESS_TOKEN=${sim.token}   # a local-only simulator token, not a secret`,
      `  npm run cli -- collect --archive ./archive --since 2026-01-01`,
      'press Ctrl-C to stop',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
}
