/** Builds a manifest record from named fields (the collector, `acknowledge` and `keys adopt-unsigned` all append through it). */
import type { ObjectStore } from '../ports.ts';
import { type Manifest, MANIFEST_FORMAT, iso } from './manifest.ts';

export interface NewManifestFields {
  readonly workspaceId: string;
  readonly seq: number;
  readonly kind: Manifest['kind'];
  readonly from: number;
  readonly to: number;
  readonly origin: number;
  readonly checkpoint: number;
  readonly prevSha256: string | null;
  readonly api: { readonly host: string; readonly version: string; readonly perPage: number };
  readonly runId: string;
  readonly collectorVersion: string;
  readonly writtenAt: Date;
  /** The store's retention, so the manifest records when its lock ends. */
  readonly store: Pick<ObjectStore, 'retention'>;
}

export function newManifest(f: NewManifestFields): Manifest {
  const retention = f.store.retention;
  const retainUntil = retention ? new Date(f.writtenAt) : undefined;
  retainUntil?.setUTCFullYear(retainUntil.getUTCFullYear() + retention!.years);
  return {
    format: MANIFEST_FORMAT,
    workspace_id: f.workspaceId,
    seq: f.seq,
    kind: f.kind,
    from: f.from,
    to: f.to,
    from_iso: iso(f.from),
    to_iso: iso(f.to),
    origin: f.origin,
    checkpoint: f.checkpoint,
    prev_sha256: f.prevSha256,
    parts: [],
    quarantine: [],
    records: 0,
    quarantined: 0,
    api: { host: f.api.host, version: f.api.version, per_page: f.api.perPage, ranges: [], pages: 0 },
    retain_until: retainUntil ? retainUntil.toISOString() : null,
    run: { run_id: f.runId, collector_version: f.collectorVersion, written_at: f.writtenAt.toISOString() },
  };
}
