/**
 * What verify keeps of each manifest once it is read: the fields the later checks use (range,
 * kind, parts, what it supersedes or adopts, rejected parts, conflicts, its index), not the whole
 * parsed manifest — API ranges, run details and the index bytes are dropped (the index's bytes
 * are kept as their SHA-256). A chain of 100,000 windows is walked, signed and weighed before its
 * contents are added, so what is kept per manifest is what bounds verify's memory.
 */
import { createHash } from 'node:crypto';
import type { Manifest } from '../archive/manifest.ts';
import { indexBody } from '../archive/partIndex.ts';

export type ManifestFacts = Pick<
  Manifest,
  | 'workspace_id'
  | 'seq'
  | 'kind'
  | 'from'
  | 'to'
  | 'from_iso'
  | 'to_iso'
  | 'origin'
  | 'checkpoint'
  | 'parts'
  | 'quarantine'
  | 'supersedes'
  | 'adopts'
  | 'rejected_parts'
  | 'conflicts'
> & {
  /** The index the manifest names, with the SHA-256 of the bytes it must hold (undefined: none to hold). */
  readonly index?: { readonly key: string; readonly sha256: string; readonly bodySha256: string | undefined };
};

/** The parts of a manifest that the windows, a part's check and the accounting need. */
export type ManifestRange = Pick<ManifestFacts, 'workspace_id' | 'seq' | 'from' | 'to' | 'from_iso' | 'to_iso'>;

export function manifestFacts(m: Manifest): ManifestFacts {
  const body = m.index && indexBody(m);
  return {
    workspace_id: m.workspace_id,
    seq: m.seq,
    kind: m.kind,
    from: m.from,
    to: m.to,
    from_iso: m.from_iso,
    to_iso: m.to_iso,
    origin: m.origin,
    checkpoint: m.checkpoint,
    parts: m.parts,
    quarantine: m.quarantine,
    ...(m.supersedes && { supersedes: m.supersedes }),
    ...(m.adopts && { adopts: m.adopts }),
    ...(m.rejected_parts && { rejected_parts: m.rejected_parts }),
    ...(m.conflicts && { conflicts: m.conflicts }),
    ...(m.index && {
      index: {
        key: m.index.key,
        sha256: m.index.sha256,
        bodySha256: body && createHash('sha256').update(body).digest('hex'),
      },
    }),
  };
}

/** One shared record per manifest for the parts it lists (a part's check needs only these). */
export function manifestRange(m: ManifestFacts): ManifestRange {
  return { workspace_id: m.workspace_id, seq: m.seq, from: m.from, to: m.to, from_iso: m.from_iso, to_iso: m.to_iso };
}
