/**
 * The chain writer: owns the workspace's chain head and the last signature, builds every
 * manifest this run appends from named fields, and signs it (when signing) before the next one.
 */
import type { ActivityLogSource, ObjectStore } from '../ports.ts';
import { type StoredManifest, appendManifest } from '../archive/chain.ts';
import { type Manifest, type RejectedPart, isWindowKind } from '../archive/manifest.ts';
import { newManifest } from '../archive/newManifest.ts';
import { withIndex, writeIndex } from '../archive/partIndex.ts';
import { type SignatureRecord, signManifest } from '../signing/signatures.ts';
import { refsOf } from '../signing/recovery.ts';
import type { Filled } from './WindowFiller.ts';
import type { ResolvedSettings } from './settings.ts';

type ChainSettings = Pick<
  ResolvedSettings,
  'workspaceId' | 'runId' | 'collectorVersion' | 'now' | 'cache' | 'signer' | 'afterManifestSigned' | 'observer'
>;

/** The range and chain position of a manifest to append; everything else comes from the run. */
export interface ManifestFields {
  readonly kind: Manifest['kind'];
  readonly from: number;
  readonly to: number;
  readonly checkpoint: number;
}

export class ChainWriter {
  #head: StoredManifest;
  #lastSignature: SignatureRecord | undefined;

  constructor(
    private readonly source: Pick<ActivityLogSource, 'host' | 'apiVersion' | 'perPage'>,
    private readonly store: ObjectStore,
    private readonly settings: ChainSettings,
    head: StoredManifest,
    lastSignature: SignatureRecord | undefined,
  ) {
    this.#head = head;
    this.#lastSignature = lastSignature;
  }

  /** Appends the genesis manifest of a new chain starting at `start` (and signs it: this run wrote it). */
  static async genesis(
    source: Pick<ActivityLogSource, 'host' | 'apiVersion' | 'perPage'>,
    store: ObjectStore,
    settings: ChainSettings,
    start: number,
  ): Promise<ChainWriter> {
    const draft = manifestDraft(
      source,
      store,
      settings,
      { kind: 'genesis', from: start, to: start, checkpoint: start },
      { seq: 0, origin: start, prevSha256: null },
    );
    const head = await appendManifest(store, draft, settings.cache);
    const signature = settings.signer ? await signManifest(store, settings.signer, head, undefined, settings.now()) : undefined;
    return new ChainWriter(source, store, settings, head, signature);
  }

  get head(): StoredManifest {
    return this.#head;
  }

  get origin(): number {
    return this.#head.manifest.origin;
  }

  get checkpoint(): number {
    return this.#head.manifest.checkpoint;
  }

  /** Appends the manifest of a filled window, late range or recovery; returns it as stored. */
  async closeWindow(
    kind: 'window' | 'late' | 'recovery',
    from: number,
    to: number,
    filled: Filled,
    extra: { supersedes?: StoredManifest[]; rejected?: RejectedPart[] } = {},
  ): Promise<StoredManifest> {
    const sortByKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
    const parts = [...filled.parts].sort(sortByKey);
    const quarantine = [...filled.quarantineParts].sort(sortByKey);
    const checkpoint = isWindowKind(kind) ? to : this.checkpoint;
    const manifest = this.#next({ kind, from, to, checkpoint });
    manifest.parts = parts;
    manifest.quarantine = quarantine;
    manifest.records = parts.reduce((n, p) => n + p.records, 0);
    manifest.quarantined = quarantine.reduce((n, p) => n + p.records, 0);
    manifest.api.ranges = filled.ranges;
    manifest.api.pages = filled.pages;
    if (extra.supersedes) manifest.supersedes = refsOf(extra.supersedes);
    const rejected = [...(extra.rejected ?? []), ...filled.rejected].sort(sortByKey);
    if (rejected.length > 0) manifest.rejected_parts = rejected;
    if (filled.conflicts.length > 0) manifest.conflicts = filled.conflicts;
    const head = await this.#append(withIndex(manifest), true);
    const warning = await writeIndex(this.store, head);
    if (warning) this.settings.observer.onWarning?.(warning);
    this.settings.observer.onWindowClosed?.({
      kind,
      from,
      to,
      records: manifest.records,
      quarantined: manifest.quarantined,
      adoptedParts: filled.adoptedParts,
      rejectedParts: rejected.length,
      conflicts: filled.conflicts.length,
      seq: head.manifest.seq,
    });
    return head;
  }

  /** Appends (and signs) the roster manifest listing today's roster at the checkpoint. */
  async appendRoster(roster: NonNullable<Manifest['roster']>): Promise<void> {
    const cp = this.checkpoint;
    const manifest = this.#next({ kind: 'roster', from: cp, to: cp, checkpoint: cp });
    manifest.roster = roster;
    await this.#append(manifest, false);
  }

  /** The next manifest after the head, with this run's provenance. */
  #next(fields: ManifestFields): Manifest {
    return manifestDraft(this.source, this.store, this.settings, fields, {
      seq: this.#head.manifest.seq + 1,
      origin: this.origin,
      prevSha256: this.#head.sha256,
    });
  }

  /** Appends, signs when signing, and (for data manifests) announces to the SIEM feed. */
  async #append(manifest: Manifest, announce: boolean): Promise<StoredManifest> {
    const { store, settings } = this;
    this.#head = await appendManifest(store, manifest, settings.cache);
    if (settings.signer) {
      this.#lastSignature = await signManifest(store, settings.signer, this.#head, this.#lastSignature, settings.now());
      if (announce) await settings.afterManifestSigned?.(this.#head);
    }
    return this.#head;
  }
}

function manifestDraft(
  source: Pick<ActivityLogSource, 'host' | 'apiVersion' | 'perPage'>,
  store: ObjectStore,
  settings: ChainSettings,
  fields: ManifestFields,
  position: { seq: number; origin: number; prevSha256: string | null },
): Manifest {
  return newManifest({
    ...fields,
    ...position,
    workspaceId: settings.workspaceId,
    api: { host: source.host, version: source.apiVersion, perPage: source.perPage },
    runId: settings.runId,
    collectorVersion: settings.collectorVersion,
    writtenAt: settings.now(),
    store,
  });
}
