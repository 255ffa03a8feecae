/**
 * The collector's settings and their defaults, defined once: the core resolves them here, the
 * CLI's option defaults and the Lambda's environment defaults read the same constants.
 */
import type { CheckpointCache, ManifestSigner } from '../ports.ts';
import type { StoredManifest } from '../archive/chain.ts';
import { assertWorkspaceId } from '../archive/keys.ts';
import type { CollectObserver } from './types.ts';

export const DAY_SECONDS = 86_400;

/** Every default of a collect run, in seconds unless named otherwise. */
export const COLLECT_DEFAULTS = {
  /** Longest window (and API range). */
  windowSeconds: 5 * DAY_SECONDS,
  /** Smallest API range after halving on repeated 5xx. */
  minRangeSeconds: 900,
  /** Horizon re-read behind the checkpoint for late entries. */
  lookbackSeconds: 3600,
  /** How far behind now a window must end to count as closed (CLI and Lambda compute `until` with it). */
  settleLagSeconds: 600,
  /** Most API ranges read at once; the run reads fewer when the latency or the rate budget says so. */
  concurrency: 32,
} as const;

/** `5d`, `1h`, `15m`, `90s`: a duration as the CLI's `--window`-style options take it. */
export function durationText(seconds: number): string {
  if (seconds % DAY_SECONDS === 0) return `${seconds / DAY_SECONDS}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export interface CollectSettings {
  readonly workspaceId: string;
  /** Where a new archive starts (UNIX seconds). Ignored, with a warning, when the archive exists. */
  readonly since?: number;
  /** Where a new archive starts when `since` is not given (a deployment default): never warned about. */
  readonly startIfNew?: number;
  /** Collect up to here (exclusive), UNIX seconds. */
  readonly until: number;
  /** Longest window (and API range). @default 5 days */
  readonly windowSeconds?: number;
  /** Smallest API range after halving on repeated 5xx. @default 900 (15 minutes) */
  readonly minRangeSeconds?: number;
  /** Horizon re-read behind the checkpoint for late entries. @default 3600 */
  readonly lookbackSeconds?: number;
  readonly partMaxBytes?: number;
  /**
   * Most API ranges read at once, across windows: the run picks fewer from the source's observed
   * latency and rate budget, and holds at most PREFETCH_LIMITS of pages ahead. @default 32
   */
  readonly concurrency?: number;
  readonly runId: string;
  readonly collectorVersion: string;
  /** Asked before each window: true stops cleanly (an interrupt, a lost lock). */
  readonly shouldStop?: () => boolean;
  /**
   * Seconds this run may still spend (the Lambda's time before its deadline margin, the CLI's
   * --max-run-time): windows are planned to fit it, and at 0 the run ends before writing a part.
   * @default unlimited
   */
  readonly timeLeft?: () => number;
  readonly observer?: CollectObserver;
  readonly cache?: CheckpointCache;
  readonly now?: () => Date;
  /**
   * Signs every manifest this run writes when given. An unsigned head is never signed: it is
   * superseded by a signed recovery manifest.
   */
  readonly signer?: ManifestSigner;
  /** Called after each new manifest is written and signed (never for an unsigned one): the SIEM feed. */
  readonly afterManifestSigned?: (manifest: StoredManifest) => Promise<void>;
}

/** The settings with every default applied and the workspace id checked. */
export interface ResolvedSettings {
  readonly workspaceId: string;
  readonly since: number | undefined;
  readonly startIfNew: number | undefined;
  readonly until: number;
  readonly windowSeconds: number;
  readonly minRangeSeconds: number;
  readonly lookbackSeconds: number;
  readonly partMaxBytes: number | undefined;
  readonly concurrency: number;
  readonly runId: string;
  readonly collectorVersion: string;
  readonly shouldStop: () => boolean;
  readonly timeLeft: (() => number) | undefined;
  readonly observer: CollectObserver;
  readonly cache: CheckpointCache | undefined;
  readonly now: () => Date;
  readonly signer: ManifestSigner | undefined;
  readonly afterManifestSigned: ((manifest: StoredManifest) => Promise<void>) | undefined;
}

export function resolveSettings(settings: CollectSettings): ResolvedSettings {
  const windowSeconds = settings.windowSeconds ?? COLLECT_DEFAULTS.windowSeconds;
  return {
    workspaceId: assertWorkspaceId(settings.workspaceId),
    since: settings.since,
    startIfNew: settings.startIfNew,
    until: settings.until,
    windowSeconds,
    minRangeSeconds: Math.min(settings.minRangeSeconds ?? COLLECT_DEFAULTS.minRangeSeconds, windowSeconds),
    lookbackSeconds: settings.lookbackSeconds ?? COLLECT_DEFAULTS.lookbackSeconds,
    partMaxBytes: settings.partMaxBytes,
    concurrency: resolveConcurrency(settings.concurrency),
    runId: settings.runId,
    collectorVersion: settings.collectorVersion,
    shouldStop: settings.shouldStop ?? (() => false),
    timeLeft: settings.timeLeft,
    observer: settings.observer ?? {},
    cache: settings.cache,
    now: settings.now ?? (() => new Date()),
    signer: settings.signer,
    afterManifestSigned: settings.afterManifestSigned,
  };
}

/** At least 1, a whole number; anything not a number is a caller's mistake, named. */
function resolveConcurrency(value: number | undefined): number {
  const concurrency = value ?? COLLECT_DEFAULTS.concurrency;
  if (!Number.isFinite(concurrency)) throw new RangeError(`concurrency must be a number of ranges (1 or more), got ${concurrency}`);
  return Math.max(1, Math.floor(concurrency));
}

/** UNIX seconds of `now()`. */
export function nowSeconds(settings: Pick<ResolvedSettings, 'now'>): number {
  return Math.floor(settings.now().getTime() / 1000);
}

/** A window never ends after `until` or after now, whatever a found part claims. */
export function latestEnd(settings: Pick<ResolvedSettings, 'now' | 'until'>): number {
  return Math.min(settings.until, nowSeconds(settings));
}
