/**
 * `audit-archive webhook`: the Intercom webhook receiver on a laptop — the same receiver the
 * Lambda runs, over a local archive folder: live alerts to stdout and --alerts-file, received
 * ids under webhook/. `--reconcile` instead lists ids the webhook saw that the poll has not
 * archived (exit 1 when there are any).
 */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { FileAlertSink, StdoutAlertSink } from '../../lambdas/adapters/local/localAlertSinks.ts';
import { type RunningWebhookServer, startWebhookServer } from '../../lambdas/adapters/local/webhookServer.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { assertWorkspaceId } from '../../lambdas/core/archive/keys.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import type { WebhookResponse } from '../../lambdas/core/webhook/receive.ts';
import { DEFAULT_SETTLE_SECONDS, reconcileWebhook } from '../../lambdas/core/webhook/reconcile.ts';
import { openArchive } from '../archiveLocation.ts';
import { parseDuration, parseNumber } from '../parse.ts';

export const WEBHOOK_SECRET_VARIABLE = 'INTERCOM_WEBHOOK_SECRET';

/** The app's client secret, from the environment only (a flag would land in shell history and `ps`). */
export function webhookSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env[WEBHOOK_SECRET_VARIABLE]?.trim();
  if (!secret)
    throw new ConfigurationError(
      `${WEBHOOK_SECRET_VARIABLE} is not set: export the Intercom app's client secret (Developer Hub → Basic information) before starting`,
    );
  return secret;
}

export interface LocalWebhookOptions {
  readonly store: ObjectStore;
  readonly workspaceId: string;
  readonly appId?: string;
  readonly secret: string;
  readonly rulesFile?: string;
  readonly alertsFile?: string;
  readonly alertsToStdout?: boolean;
  readonly alertMaxAgeSeconds?: number;
  readonly port?: number;
  readonly requestTimeoutMs?: number;
  readonly now?: () => Date;
  readonly onResponse?: (response: WebhookResponse) => void;
}

/** Starts the receiver over a local archive (the CLI and the loopback tests). */
export async function startLocalWebhook(options: LocalWebhookOptions): Promise<RunningWebhookServer> {
  const workspaceId = assertWorkspaceId(options.workspaceId);
  const ruleSet = options.rulesFile
    ? parseRules(
        await fs.readFile(options.rulesFile, 'utf8').catch(() => {
          throw new ConfigurationError(`--rules: cannot read '${options.rulesFile}'`);
        }),
        options.rulesFile,
      )
    : undefined;
  const sinks = [
    new FileAlertSink(options.alertsFile ?? 'alerts.jsonl'),
    ...(options.alertsToStdout === false ? [] : [new StdoutAlertSink()]),
  ];
  return startWebhookServer(
    {
      secret: options.secret,
      apps: new Map([[options.appId ?? workspaceId, workspaceId]]),
      store: options.store,
      ...(ruleSet && { alerts: { ruleSet, sinks, maxAgeSeconds: options.alertMaxAgeSeconds ?? 86_400 } }),
      ...(options.now && { now: options.now }),
    },
    {
      ...(options.port !== undefined && { port: options.port }),
      ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.onResponse && { onResponse: options.onResponse }),
    },
  );
}

function describe(r: WebhookResponse): string {
  const what = r.entryId ? ` entry ${r.entryId}` : '';
  const alerts = r.sent ? `, ${r.sent} alert${r.sent === 1 ? '' : 's'} sent` : '';
  return `webhook ${r.status} ${r.outcome}${what}${alerts}${r.notes?.length ? ` (${r.notes.join('; ')})` : ''}\n`;
}

type Opts = Record<string, string | boolean | undefined>;

async function reconcile(store: ObjectStore, opts: Opts, setExit: (code: number) => void): Promise<void> {
  const lookback = parseDuration('--lookback', String(opts.lookback), { min: 60, max: 400 * 86_400 });
  const from = Math.floor(Date.now() / 1000) - lookback;
  const result = await reconcileWebhook(store, String(opts.workspace), { from, settleSeconds: DEFAULT_SETTLE_SECONDS });
  for (const u of result.unmatched)
    process.stdout.write(`${u.id}\treceived ${u.received_at}\tcreated ${new Date(u.created_at * 1000).toISOString()}\n`);
  process.stderr.write(
    `${result.received} ids received by webhook, ${result.unmatched.length} not archived by the poll (entries ${new Date(result.from * 1000).toISOString()} – ${new Date(result.to * 1000).toISOString()})\n`,
  );
  setExit(result.unmatched.length ? 1 : 0);
}

/** Adds `webhook`; `setExit` receives the exit code. */
export function registerWebhook(program: Command, setExit: (code: number) => void): void {
  program
    .command('webhook')
    .description(
      `receive Intercom activity-log webhooks on loopback: live alerts at once, ids recorded (secret: ${WEBHOOK_SECRET_VARIABLE})`,
    )
    .requiredOption('--archive <dir>', 'the local archive folder collect writes')
    .requiredOption('--workspace <id>', 'the workspace the notifications belong to')
    .option('--app-id <id>', "the notifications' app_id (Intercom's workspace id_code; default: --workspace)")
    .option('--rules <file>', 'alert rules (YAML or JSON); without them ids are only recorded')
    .option('--alerts-file <file>', 'append alerts here as JSON lines', 'alerts.jsonl')
    .option('--alert-max-age <duration>', 'alert only on entries younger than this', '24h')
    .option('--port <n>', 'port', '8787')
    .option('--reconcile', 'instead: list ids received by webhook that the poll has not archived (exit 1 if any)')
    .option('--lookback <duration>', 'with --reconcile: how far back', '7d')
    .action(async (opts: Opts) => {
      const store = await openArchive(String(opts.archive), { allowS3: false });
      if (opts.reconcile) return reconcile(store, opts, setExit);
      const server = await startLocalWebhook({
        store,
        workspaceId: String(opts.workspace),
        ...(typeof opts.appId === 'string' && { appId: opts.appId }),
        secret: webhookSecretFromEnv(),
        ...(typeof opts.rules === 'string' && { rulesFile: opts.rules }),
        alertsFile: String(opts.alertsFile),
        alertMaxAgeSeconds: parseDuration('--alert-max-age', String(opts.alertMaxAge), { min: 60, max: 400 * 86_400 }),
        port: parseNumber('--port', String(opts.port), { min: 0, max: 65535, integer: true }),
        onResponse: (r) => process.stderr.write(describe(r)),
      });
      process.stderr.write(`webhook receiver listening on ${server.url} — press Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      setExit(0);
    });
}
