/**
 * Posts Intercom-style webhook notifications for the simulator's entries as its clock passes
 * them (`simulate --webhook-url`), signed like Intercom signs them: `X-Hub-Signature:
 * sha1=<HMAC-SHA1 of the raw body with the app's client secret>`. Entries the simulator hides
 * from the poll are posted too — that is how a test shows the reconciliation finding them.
 */
import { hubSignature } from '../lambdas/core/webhook/signature.ts';
import { notificationFor } from '../lambdas/core/webhook/notification.ts';
import type { RawEntry, SimulatedWorkspace } from './dataset.ts';

export interface WebhookPosterOptions {
  readonly url: string;
  readonly secret: string;
  /** The notification's app_id (Intercom puts the workspace's id_code there). */
  readonly appId: string;
  readonly workspace: SimulatedWorkspace;
  /** The simulator's clock, UNIX seconds. */
  readonly now: () => number;
  /** Entries after this second are posted. @default now() at construction */
  readonly after?: number;
}

export interface PostResult {
  readonly entry: RawEntry;
  readonly status: number;
}

export class WebhookPoster {
  #after: number;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  readonly results: PostResult[] = [];

  constructor(private readonly options: WebhookPosterOptions) {
    this.#after = options.after ?? options.now();
  }

  /** Posts every entry created since the last tick, in time order; returns what each got. */
  async tick(): Promise<PostResult[]> {
    const to = this.options.now();
    if (to <= this.#after) return [];
    const entries = this.options.workspace.entriesBetween(this.#after + 1, to).filter((e) => e.created_at > this.#after);
    this.#after = to;
    const out: PostResult[] = [];
    for (const entry of entries) out.push({ entry, status: await this.post(entry) });
    this.results.push(...out);
    return out;
  }

  /** One signed notification for `entry`; returns the HTTP status (0: no answer). */
  async post(entry: RawEntry): Promise<number> {
    const body = Buffer.from(JSON.stringify(notificationFor(this.options.appId, entry, entry.created_at, `notif_${entry.id}`)));
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': hubSignature(body, this.options.secret) },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** Ticks every `intervalMs` until stop(). */
  start(intervalMs = 1000): void {
    this.#timer = setInterval(() => {
      this.#busy = this.#busy.then(() => this.tick()).catch(() => undefined);
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#busy;
  }
}
