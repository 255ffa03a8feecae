/**
 * Fault switches for the simulator, and the `--faults` flag syntax:
 * `5xx=0.1,429=0.05,truncate=0.05,html=0.02,reset=0.02,hang=0.01,repeat=3,late=0.02:1800,latency=150,wide500=7,malformed=0.01,ignore-per-page,budget=100,hide=0.01`.
 */
import { z } from 'zod';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import { validate } from '../lambdas/core/validation.ts';

const probability = z.number().min(0).max(0.95);

export const faultsSchema = z.strictObject({
  /** Share of authenticated requests answered 429 regardless of budget. */
  burst429: probability.default(0),
  /** Share answered 500/502/503. */
  error5xx: probability.default(0),
  /** 500 for any range wider than this many days (Intercom does this in practice); 0 = off. */
  wide500Days: z.number().min(0).default(0),
  /** Share of 200 answers whose body is cut in half. */
  truncate: probability.default(0),
  /** Share of 200 answers that are an HTML error page. */
  html: probability.default(0),
  /** Share of requests whose connection is reset before any answer. */
  reset: probability.default(0),
  /** Share of requests that never answer (the client's timeout must fire). */
  hang: probability.default(0),
  /** Entries from the end of one page repeated at the start of the next. */
  repeat: z.number().int().min(0).max(100).default(0),
  /** Share of entries that become visible only `lateDelaySeconds` after they happened. */
  lateShare: probability.default(0),
  lateDelaySeconds: z.number().int().min(0).default(1800),
  /** Added to every answer. */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Share of entries served in a broken shape (quarantine input). */
  malformed: probability.default(0),
  /** Serve 20 per page whatever `per_page` says. */
  ignorePerPage: z.boolean().default(false),
  /** Answer GET /admins with 403, as for a token without the "Read admins" permission. */
  noAdmins: z.boolean().default(false),
  /** Requests allowed per rate window (Intercom: 10,000/min per app ≈ 1,666 per 10 s). */
  budget: z.number().int().min(1).default(1666),
  /** Length of a rate window in seconds. */
  rateWindowSeconds: z.number().int().min(1).max(60).default(10),
  /** Share of entries the API never serves (the webhook still announces them): a gap for the reconciliation to find. */
  hideShare: probability.default(0),
  /** Seed of the fault dice. */
  seed: z.number().int().default(7),
});

export type Faults = z.infer<typeof faultsSchema>;
export type FaultsInput = z.input<typeof faultsSchema>;

const FLAG_KEYS: Record<string, keyof Faults> = {
  '429': 'burst429',
  '5xx': 'error5xx',
  wide500: 'wide500Days',
  truncate: 'truncate',
  html: 'html',
  reset: 'reset',
  hang: 'hang',
  repeat: 'repeat',
  latency: 'latencyMs',
  malformed: 'malformed',
  'ignore-per-page': 'ignorePerPage',
  'no-admins': 'noAdmins',
  budget: 'budget',
  'rate-window': 'rateWindowSeconds',
  seed: 'seed',
  hide: 'hideShare',
};

/** Parses the `--faults` flag; errors name the switch and the accepted form. */
export function parseFaults(spec: string): Faults {
  const input: Record<string, unknown> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split('=', 2) as [string, string | undefined];
    if (name === 'late') {
      const [share, delay] = (value ?? '').split(':');
      input.lateShare = Number(share);
      if (delay !== undefined) input.lateDelaySeconds = Number(delay);
      continue;
    }
    const key = FLAG_KEYS[name];
    if (!key) {
      throw new ConfigurationError(`--faults: unknown switch '${name}'. Known: ${[...Object.keys(FLAG_KEYS), 'late'].join(', ')}`);
    }
    input[key] = key === 'ignorePerPage' || key === 'noAdmins' ? value === undefined || value === 'true' : Number(value);
  }
  const parsed = validate(faultsSchema, input);
  if (!parsed.success) throw new ConfigurationError(`--faults: ${parsed.problems.join('; ')}`);
  return parsed.data;
}
