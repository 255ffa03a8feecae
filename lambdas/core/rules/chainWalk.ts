/**
 * Reads a workspace's manifest chain backwards from its head, checking each link
 * (`prev_sha256`) as it goes, so every manifest it hands out is tied to the head; it also tells
 * the SHA-256 of any seq, which is how watermarks and snapshots are checked.
 */
import { IntegrityError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { type StoredManifest, readManifest } from '../archive/chain.ts';

/** Manifests read at once while walking back. */
const BATCH = 8;

export class ChainWalk {
  private readonly bySeq = new Map<number, StoredManifest>();
  private lowest: number;

  constructor(
    private readonly store: ObjectStore,
    readonly head: StoredManifest,
  ) {
    this.bySeq.set(head.manifest.seq, head);
    this.lowest = head.manifest.seq;
  }

  get lowestRead(): number {
    return this.lowest;
  }

  /** Reads (and links) every manifest down to `seq`. */
  async readDownTo(seq: number): Promise<void> {
    const target = Math.max(0, seq);
    while (this.lowest > target) {
      const from = Math.max(target, this.lowest - BATCH);
      const seqs = Array.from({ length: this.lowest - from }, (_, i) => this.lowest - 1 - i);
      const read = await Promise.all(seqs.map((s) => readManifest(this.store, this.head.manifest.workspace_id, s)));
      for (const m of read) {
        const next = this.bySeq.get(m.manifest.seq + 1)!;
        if (next.manifest.prev_sha256 !== m.sha256) {
          throw new IntegrityError(
            next.key,
            `manifest ${next.key} does not link to manifest ${m.manifest.seq} (its prev_sha256 differs): the chain is broken; run verify`,
          );
        }
        this.bySeq.set(m.manifest.seq, m);
        this.lowest = m.manifest.seq;
      }
    }
  }

  /**
   * Walks back until `stop` holds for a manifest (which is included) or the genesis is reached;
   * returns the seq it stopped at.
   */
  async readBackUntil(stop: (m: StoredManifest) => boolean): Promise<number> {
    for (;;) {
      const m = this.bySeq.get(this.lowest)!;
      if (this.lowest === 0 || stop(m)) return this.lowest;
      await this.readDownTo(this.lowest - 1);
    }
  }

  /**
   * The SHA-256 of manifest `seq`: the head's own, the `prev_sha256` of the manifest after it
   * when that one was read, or else the manifest read by its key (one GET, not walking the chain
   * down to it: manifests are write-once, and verify checks the links in between).
   */
  async sha256Of(seq: number): Promise<string | undefined> {
    if (seq > this.head.manifest.seq || seq < 0) return undefined;
    if (seq === this.head.manifest.seq) return this.head.sha256;
    const after = this.bySeq.get(seq + 1);
    if (after) return after.manifest.prev_sha256 ?? undefined;
    return (await readManifest(this.store, this.head.manifest.workspace_id, seq)).sha256;
  }

  /** Manifests `from`..head, ascending (reads what is missing). */
  async ascendingFrom(from: number): Promise<StoredManifest[]> {
    await this.readDownTo(from);
    const out: StoredManifest[] = [];
    for (let s = Math.max(0, from); s <= this.head.manifest.seq; s += 1) out.push(this.bySeq.get(s)!);
    return out;
  }
}
