/**
 * A worker thread of `PartCheckPool`: runs the core's `checkPartBody` on the parts it is sent and
 * posts each outcome back, its ids as transferred typed arrays (no copy, no million strings).
 */
import { parentPort } from 'node:worker_threads';
import { type PartJob, type PartOutcome, checkPartBody } from '../../core/verify/partBody.ts';

export interface PartRequest {
  readonly n: number;
  readonly job: PartJob;
  /** Arrives as a Uint8Array (a Buffer is cloned as its bytes). */
  readonly body: Uint8Array;
}

export type PartResponse = { readonly n: number; readonly outcome: PartOutcome } | { readonly n: number; readonly error: string };

const port = parentPort;
if (!port) throw new Error('partCheckWorker.ts runs as a worker thread of PartCheckPool, not on its own');

port.on('message', async ({ n, job, body }: PartRequest) => {
  try {
    const outcome = await checkPartBody(job, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    const transfer = outcome.ids ? [outcome.ids.uuids.buffer as ArrayBuffer, outcome.ids.numbers.buffer as ArrayBuffer] : [];
    port.postMessage({ n, outcome } satisfies PartResponse, transfer);
  } catch (error) {
    port.postMessage({ n, error: error instanceof Error ? error.message : String(error) } satisfies PartResponse);
  }
});
