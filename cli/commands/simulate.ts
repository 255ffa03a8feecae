/** `audit-archive simulate`: serves the simulated Intercom until interrupted (and posts its webhooks, with --webhook-url). */
import type { Command } from 'commander';
import { startSimulator } from '../../simulator/server.ts';
import { type Faults, parseFaults } from '../../simulator/faults.ts';
import { WebhookPoster } from '../../simulator/webhookPoster.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { EXIT } from '../exitCodes.ts';
import { parseNumber } from '../parse.ts';
import { webhookSecretFromEnv } from './webhook.ts';

export interface SimulateWebhook {
  readonly webhookUrl?: string;
  readonly appId?: string;
  readonly secret?: string;
}

/** The webhook half of the options: the secret only ever from INTERCOM_WEBHOOK_SECRET, never a flag. */
export function webhookOptions(opts: { webhookUrl?: string; appId?: string }, env = process.env): SimulateWebhook {
  if (!opts.webhookUrl) {
    if (opts.appId) throw new ConfigurationError('--app-id needs --webhook-url');
    return {};
  }
  let url: URL;
  try {
    url = new URL(opts.webhookUrl);
  } catch {
    throw new ConfigurationError(`--webhook-url: '${opts.webhookUrl}' is not a URL (e.g. http://127.0.0.1:8787/)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigurationError('--webhook-url must be http(s)');
  return { webhookUrl: url.href, ...(opts.appId && { appId: opts.appId }), secret: webhookSecretFromEnv(env) };
}

export async function runSimulate(
  options: { port: number; faults: Faults; entriesPerDay: number; seed: number } & SimulateWebhook,
): Promise<void> {
  const sim = await startSimulator({
    port: options.port,
    faults: options.faults,
    dataset: { entriesPerDay: options.entriesPerDay, seed: options.seed },
  });
  const poster =
    options.webhookUrl && options.secret
      ? new WebhookPoster({
          url: options.webhookUrl,
          secret: options.secret,
          appId: options.appId ?? sim.workspace.workspaceId,
          workspace: sim.workspace,
          now: () => Math.floor(Date.now() / 1000),
        })
      : undefined;
  poster?.start(1000);
  process.stdout.write(
    [
      `simulated Intercom listening on ${sim.url} (workspace ${sim.workspace.workspaceId})`,
      `  export INTERCOM_API_URL=${sim.url}`,
      `  export INTERCOM_ACCESS_TOKEN=${sim.token}   # a local-only simulator token, not a secret`,
      `  npm run cli -- collect --archive ./archive --since 2026-01-01`,
      ...(poster ? [`posting signed webhook notifications to ${options.webhookUrl} as entries are created`] : []),
      'press Ctrl-C to stop',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await poster?.stop();
  await sim.close();
}

/** Adds the `simulate` command; it runs until interrupted. */
export function registerSimulate(program: Command, setExit: (code: number) => void): void {
  program
    .command('simulate')
    .description('serve a simulated Intercom workspace on loopback and print its URL and token')
    .option('--port <n>', 'port (default: a free one)', '0')
    .option('--faults <list>', 'fault switches, e.g. 5xx=0.1,429=0.05,truncate=0.05,late=0.02:1800,latency=150', '')
    .option('--entries-per-day <n>', 'average activity per day', '400')
    .option('--seed <n>', 'dataset seed', '1')
    .option('--webhook-url <url>', 'also post signed webhook notifications there as entries are created (secret: INTERCOM_WEBHOOK_SECRET)')
    .option('--app-id <id>', "the notifications' app_id (default: the simulated workspace id)")
    .action(async (opts: { port: string; faults: string; entriesPerDay: string; seed: string; webhookUrl?: string; appId?: string }) => {
      await runSimulate({
        ...webhookOptions(opts),
        port: parseNumber('--port', opts.port, { min: 0, max: 65535, integer: true }),
        faults: parseFaults(opts.faults),
        entriesPerDay: parseNumber('--entries-per-day', opts.entriesPerDay, { min: 0, max: 10_000_000 }),
        seed: parseNumber('--seed', opts.seed, { min: 0, max: 2 ** 31, integer: true }),
      });
      setExit(EXIT.ok);
    });
}
