/**
 * Verify's part checks on worker threads, one per core beside the main thread: the same `checkPartBody` the core runs
 * in process (hash, inflate, every line's id and time), so the outcome is the same, but parts
 * are scanned on every core instead of queueing behind one JavaScript thread. The caller keeps
 * the order and the id set (`checkParts`), so which worker checked a part never changes what is
 * reported. Hand-written rather than a pool library: it is one message type, and the ids must come
 * back as transferred typed arrays.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PartChecker, PartJob, PartOutcome } from '../../core/verify/partBody.ts';
import type { PartRequest, PartResponse } from './partCheckWorker.ts';

interface Pending {
  readonly key: string;
  readonly resolve: (outcome: PartOutcome) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Parts this worker has checked (for tests and figures). */
  checked: number;
  failed?: Error;
}

/**
 * Workers for this machine: one per core beside the main thread (which reads the parts, runs
 * the id set and the rest of verify), at most 3. Each worker costs ~70 MB of memory (its own
 * heap, and up to 64 MB of inflated chunks V8 lets pile up before it collects them).
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(3, availableParallelism() - 1));
}

/**
 * Parts a worker checks at once: enough that it scans one part while the thread pool inflates
 * the next; more would only hold more inflated chunks (verify may have 32 parts in flight).
 */
const PER_WORKER = 4;

export interface PartCheckPoolOptions {
  /** @default one per core beside the main thread, at most 3 (`defaultWorkers()`) */
  readonly workers?: number;
  /**
   * Move each part's bytes to the worker instead of copying them: only for a store whose reads
   * hand over fresh bytes nobody else holds (`LocalObjectStore`, `S3ObjectStore`), never for one
   * that keeps what it returns (a cache, a test's in-memory store: its bytes would be emptied).
   * Saves a copy of every part and ~10 MB of memory. @default false
   */
  readonly transfer?: boolean;
}

export class PartCheckPool {
  readonly #workers: number;
  readonly #transfer: boolean;
  /** Started at once (they boot while verify reads the manifests); again after `close` if used. */
  #slots: Slot[] = [];
  #checked: number[] = [];
  #next = 0;
  /** Parts read and not yet handed to a worker (their bytes are already bounded by verify's in-flight limit). */
  #waiting: { job: PartJob; body: Buffer; pending: Pending }[] = [];

  constructor(options: PartCheckPoolOptions = {}) {
    this.#workers = Math.max(1, options.workers ?? defaultWorkers());
    this.#transfer = options.transfer ?? false;
    this.#startAll();
  }

  /** A `PartChecker` for `verifyArchive({ checkPart })`. */
  readonly check: PartChecker = (job, body) => this.#dispatch(job, body);

  /** Parts each worker has checked (also after `close`). */
  checkedPerWorker(): number[] {
    return [...this.#checked];
  }

  async close(): Promise<void> {
    for (const { job, pending } of this.#waiting.splice(0))
      pending.reject(new Error(`${job.key}: the part-check workers were closed before this part was checked`));
    this.#checked = this.#slots.map((s) => s.checked);
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots = [];
  }

  #dispatch(job: PartJob, body: Buffer): Promise<PartOutcome> {
    if (this.#slots.length === 0) this.#startAll();
    return new Promise<PartOutcome>((resolve, reject) => {
      this.#waiting.push({ job, body, pending: { key: job.key, resolve, reject } });
      this.#pump();
    });
  }

  /** Hands waiting parts to the least busy workers, at most `PER_WORKER` each. */
  #pump(): void {
    while (this.#waiting.length > 0 && this.#slots.length > 0) {
      let slot = this.#slots[0]!;
      for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s;
      if (slot.pending.size >= PER_WORKER) return;
      const { job, body, pending } = this.#waiting.shift()!;
      if (slot.failed) {
        pending.reject(new Error(`${job.key}: ${slot.failed.message}`, { cause: slot.failed }));
        continue;
      }
      const n = this.#next++;
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(n, pending);
      // Moved when allowed and the view is all of its memory; else copied once and the copy moved
      // (cloning a view would copy the whole memory behind it).
      const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
      const bytes = this.#transfer && whole ? new Uint8Array(body.buffer, 0, body.byteLength) : new Uint8Array(body);
      slot.worker.postMessage({ n, job, body: bytes } satisfies PartRequest, [bytes.buffer as ArrayBuffer]);
    }
  }

  #startAll(): void {
    this.#slots = Array.from({ length: this.#workers }, () => this.#start());
    this.#checked = this.#slots.map(() => 0);
  }

  #start(): Slot {
    const worker = TS ? new Worker(TS_BOOT, { eval: true }) : new Worker(WORKER_URL);
    const slot: Slot = { worker, pending: new Map(), checked: 0 };
    worker.unref();
    worker.on('message', (message: PartResponse) => this.#settle(slot, message));
    const fail = (error: Error) => {
      slot.failed = new Error(`a part-check worker stopped (${error.message}); verify could not complete: rerun it`, { cause: error });
      for (const p of slot.pending.values()) p.reject(new Error(`${p.key}: ${slot.failed.message}`, { cause: error }));
      slot.pending.clear();
      this.#pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (slot.pending.size > 0) fail(new Error(`exited with code ${code}`));
    });
    return slot;
  }

  #settle(slot: Slot, message: PartResponse): void {
    const pending = slot.pending.get(message.n);
    if (!pending) return;
    slot.pending.delete(message.n);
    if (slot.pending.size === 0) slot.worker.unref();
    if ('error' in message) pending.reject(new Error(`${pending.key}: the part check failed (${message.error})`));
    else {
      slot.checked += 1;
      this.#checked = this.#slots.map((s) => s.checked);
      pending.resolve(message.outcome);
    }
    this.#pump();
  }
}

// The worker runs the same kind of file as this one: JavaScript from dist/ (the package bin), or
// TypeScript under tsx (tests, bench, `npm run cli`), where the worker registers tsx itself
// (Node 20 does not pass a parent's `--import` loader on to a worker).
const TS = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./partCheckWorker.${TS ? 'ts' : 'js'}`, import.meta.url);
const TS_BOOT = `import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(WORKER_URL.href)}));`;
