/**
 * What the manifests that carry weight say the archive holds: coverage without gaps or
 * overlaps, the parts to check, rejected and acknowledged objects, conflicts, Athena indexes,
 * each chain's head, and a summary per workspace.
 */
import { manifestKey } from '../archive/keys.ts';
import { type ManifestPart, isWindowKind, iso } from '../archive/manifest.ts';
import type { WalkedChain } from './chainWalk.ts';
import type { ChainWeight } from './chainWeight.ts';
import { type ManifestFacts, type ManifestRange, manifestRange } from './manifestFacts.ts';
import type { ProblemList } from './ProblemList.ts';
import type { ChainSignatures } from './SignatureCheck.ts';
import type { ArchiveException, VerifyResult, WorkspaceSummary } from './types.ts';

export interface PartRef {
  readonly part: ManifestPart;
  /** The manifest that lists it: its range, one record shared by its parts. */
  readonly manifest: ManifestRange;
  readonly quarantine: boolean;
}

export interface ChainHead {
  readonly last: number;
  readonly checkpoint: number | null;
}

export class ArchiveContents {
  readonly exceptions: ArchiveException[] = [];
  readonly conflicts: VerifyResult['conflicts'][number][] = [];
  /** Objects a manifest accounts for as not-data (rejected_parts), with the manifest. */
  readonly rejectedKeys = new Map<string, { sha256: string; seq: number; workspaceId: string }>();
  /** Index objects the manifests name, with the SHA-256 they claim and that of the bytes they must hold. */
  readonly indexes = new Map<string, { sha256: string; bodySha256: string | undefined; seq: number }>();
  /** Every part the manifests that carry weight list: workspace by workspace, in seq order. */
  readonly refs: PartRef[] = [];
  readonly heads = new Map<string, ChainHead>();
  readonly summaries: WorkspaceSummary[] = [];
  /** Workspaces checked from a receipt: the receipt's seq, and the end of coverage its manifest records. */
  readonly trusted = new Map<string, { seq: number; checkpoint: number }>();

  constructor(private readonly problems: ProblemList) {}

  /** Adds one workspace's chain (workspaces in id order). */
  add(chain: WalkedChain, weight: ChainWeight, signatures: ChainSignatures | undefined): void {
    const { workspaceId, last, origin } = chain;
    let coveredTo: number | null = null;
    const counts = { windows: 0, lates: 0 };
    const refs: PartRef[] = [];
    for (const [seq, { manifest, key }] of [...chain.links].sort(([a], [b]) => a - b)) {
      if (seq === chain.from && seq > 0) {
        // A trusted receipt's manifest: checked before, with everything it accounts for; coverage continues from it.
        coveredTo = manifest.checkpoint;
        this.trusted.set(workspaceId, { seq, checkpoint: manifest.checkpoint });
        continue;
      }
      if (weight.superseded.has(seq)) {
        this.problems.warn(
          'superseded',
          key,
          `manifest ${key} (unsigned) is superseded by a signed recovery manifest: its claims carry no weight`,
        );
        continue;
      }
      if (seq === 0) coveredTo = manifest.to;
      coveredTo = this.#cover(key, manifest, origin, coveredTo, counts);
      this.#collect(workspaceId, seq, manifest, refs);
    }
    this.refs.push(...refs);
    this.heads.set(workspaceId, { last, checkpoint: coveredTo });
    const anySigned = signatures !== undefined && signatures.first !== null;
    if (signatures && !anySigned) {
      this.problems.warn(
        'unsigned-chain',
        manifestKey(workspaceId, last),
        `workspace ${workspaceId}: unsigned: hash chain only — no manifest of this chain is signed (it was collected with signing off), so nothing but the hash chain anchors it`,
      );
    }
    this.summaries.push({
      ...(signatures !== undefined && { firstSignedSeq: signatures.first }),
      ...(weight.superseded.size > 0 && { superseded: [...weight.superseded].sort((a, b) => a - b) }),
      ...(signatures && { signing: anySigned ? ('signed' as const) : ('unsigned: hash chain only' as const) }),
      ...(chain.from > 0 && { checkedFrom: chain.from }),
      workspaceId,
      manifests: chain.listed,
      windows: counts.windows,
      lateManifests: counts.lates,
      origin,
      checkpoint: coveredTo,
      parts: refs.length,
      records: refs.filter((r) => !r.quarantine).reduce((n, r) => n + r.part.records, 0),
      quarantined: refs.filter((r) => r.quarantine).reduce((n, r) => n + r.part.records, 0),
      bytes: refs.reduce((n, r) => n + r.part.bytes, 0),
    });
  }

  /** Windows follow each other without gap or overlap; a late manifest adds only inside what is covered. Returns the new coverage end. */
  #cover(
    key: string,
    manifest: ManifestFacts,
    origin: number | null,
    coveredTo: number | null,
    counts: { windows: number; lates: number },
  ): number | null {
    const { report } = this.problems;
    if (isWindowKind(manifest.kind)) {
      counts.windows += 1;
      if (coveredTo !== null && manifest.from > coveredTo) {
        report(
          'window-gap',
          key,
          `window manifest ${key} starts at ${manifest.from_iso} but the previous window ended at ${iso(coveredTo)}: ${iso(coveredTo)}–${manifest.from_iso} was never collected`,
        );
      } else if (coveredTo !== null && manifest.from < coveredTo) {
        report(
          'window-overlap',
          key,
          `window manifest ${key} starts at ${manifest.from_iso}, inside the range already covered up to ${iso(coveredTo)}`,
        );
      }
      if (manifest.to <= manifest.from || manifest.checkpoint !== manifest.to) {
        report(
          'manifest-invalid',
          key,
          `window manifest ${key} has an empty or inconsistent range [${manifest.from_iso}, ${manifest.to_iso}) / checkpoint`,
        );
      }
      return Math.max(coveredTo ?? manifest.to, manifest.to);
    }
    if (manifest.kind === 'late') {
      counts.lates += 1;
      if ((origin !== null && manifest.from < origin) || (coveredTo !== null && manifest.to > coveredTo)) {
        report(
          'late-out-of-range',
          key,
          `late manifest ${key} adds to [${manifest.from_iso}, ${manifest.to_iso}), which is not inside the range covered so far`,
        );
      }
    }
    return coveredTo;
  }

  /** `seq` is the manifest's place in the chain (what it claims is checked by the chain walk). */
  #collect(workspaceId: string, seq: number, manifest: ManifestFacts, refs: PartRef[]): void {
    const range = manifestRange(manifest);
    for (const part of manifest.parts) refs.push({ part, manifest: range, quarantine: false });
    for (const part of manifest.quarantine) refs.push({ part, manifest: range, quarantine: true });
    for (const rejected of manifest.rejected_parts ?? []) {
      if (!this.rejectedKeys.has(rejected.key)) this.rejectedKeys.set(rejected.key, { sha256: rejected.sha256, seq, workspaceId });
      this.exceptions.push({
        key: rejected.key,
        kind: manifest.kind === 'exception' ? 'acknowledged' : 'rejected',
        seq,
        reason: rejected.reason,
      });
    }
    for (const conflict of manifest.conflicts ?? []) this.conflicts.push({ ...conflict, seq, workspaceId });
    if (manifest.index) this.indexes.set(manifest.index.key, { sha256: manifest.index.sha256, bodySha256: manifest.index.bodySha256, seq });
  }
}
