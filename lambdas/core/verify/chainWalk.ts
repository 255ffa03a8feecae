/**
 * The hash chain of one workspace, over every manifest (superseded ones included: the chain
 * stays linear): each manifest present, readable, valid, in its place and linked to the one before.
 */
import { createHash } from 'node:crypto';
import { manifestKey } from '../archive/keys.ts';
import { type Manifest, iso, manifestSchema } from '../archive/manifest.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import { type ManifestFacts, manifestFacts } from './manifestFacts.ts';
import { inOrder } from './pipeline.ts';
import type { Report } from './ProblemList.ts';

export interface ChainLink {
  /** What is kept of the manifest (not the whole parsed manifest: see manifestFacts.ts). */
  readonly manifest: ManifestFacts;
  readonly sha: string;
  readonly key: string;
}

/** Every manifest read, by key: the hashes signatures, receipts and lock checks are held against. */
export type ManifestShas = Map<string, { workspaceId: string; seq: number; sha: string }>;

export interface WalkedChain {
  readonly workspaceId: string;
  /** The highest seq listed. */
  readonly last: number;
  /** Manifests listed. */
  readonly listed: number;
  /** The manifests that were read and parsed, by seq (what verify keeps of each). */
  readonly links: Map<number, ChainLink>;
  /** Where the genesis says the archive starts. */
  readonly origin: number | null;
  /** The first seq read: a trusted receipt's, or 0. */
  readonly from: number;
}

export interface WalkOptions {
  /** Manifests read ahead at once. */
  readonly concurrency: number;
  /** The first seq to read (a trusted receipt's): earlier manifests must be listed, and are not read. */
  readonly from?: number;
}

export async function walkChain(
  reader: ArchiveReader,
  workspaceId: string,
  seqs: number[],
  shas: ManifestShas,
  report: Report,
  options: WalkOptions,
): Promise<WalkedChain> {
  seqs.sort((a, b) => a - b);
  const last = seqs[seqs.length - 1]!;
  const present = new Set(seqs);
  const links = new Map<number, ChainLink>();
  let previous: string | undefined;
  let origin: number | null = null;
  const from = options.from ?? 0;
  for (let seq = 0; seq < Math.min(from, last + 1); seq++) if (!present.has(seq)) reportMissing(workspaceId, seq, report);
  const seqsToRead = Array.from({ length: Math.max(0, last + 1 - from) }, (_, i) => from + i);
  const bodies = inOrder(seqsToRead, options.concurrency, async (seq) =>
    present.has(seq) ? await reader.read(manifestKey(workspaceId, seq)) : null,
  );
  let seq = from - 1;
  for await (const body of bodies) {
    seq += 1;
    const key = manifestKey(workspaceId, seq);
    if (body === null) {
      reportMissing(workspaceId, seq, report);
      previous = undefined;
      continue;
    }
    const manifest = body && parseManifest(key, body, report);
    if (!body || !manifest) {
      previous = undefined;
      continue;
    }
    const sha = createHash('sha256').update(body).digest('hex');
    if (seq === 0) origin = manifest.from;
    // Reading from a receipt: the archive's start is the one the trusted manifest names.
    else if (seq === from) origin = manifest.origin;
    checkLink(workspaceId, seq, { manifest, key }, previous, origin, report, from);
    shas.set(key, { workspaceId, seq, sha });
    links.set(seq, { manifest: manifestFacts(manifest), sha, key });
    previous = sha;
  }
  return { workspaceId, last, listed: seqs.length, links, origin, from };
}

function reportMissing(workspaceId: string, seq: number, report: Report): void {
  const key = manifestKey(workspaceId, seq);
  report(
    'manifest-missing',
    key,
    `manifest ${key} is missing: the chain of workspace ${workspaceId} jumps from ${seq - 1} to the next manifest present`,
  );
}

function parseManifest(key: string, body: Buffer, report: Report): Manifest | undefined {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(body.toString('utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  } catch (error) {
    report('manifest-invalid', key, `manifest ${key} is not a valid manifest (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

/** `previous` is the SHA-256 of the manifest right before this one, when it was read (undefined after a gap or an unreadable one). */
function checkLink(
  workspaceId: string,
  seq: number,
  { manifest, key }: { readonly manifest: Manifest; readonly key: string },
  previous: string | undefined,
  origin: number | null,
  report: Report,
  from: number,
): void {
  if (manifest.seq !== seq || manifest.workspace_id !== workspaceId) {
    report(
      'manifest-invalid',
      key,
      `manifest ${key} claims to be seq ${manifest.seq} of workspace ${manifest.workspace_id} (moved or reordered)`,
    );
  }
  if (seq === from && from > 0) {
    // The manifest a trusted receipt names: its hash is checked against the receipt, its link backwards is not re-read.
  } else if (seq === 0) {
    if (manifest.kind !== 'genesis' || manifest.prev_sha256 !== null)
      report('chain-broken', key, `manifest ${key} should open the chain (kind genesis, no previous hash)`);
  } else if (manifest.kind === 'genesis') {
    report('chain-broken', key, `manifest ${key} is a second genesis inside the chain`);
  } else if (previous !== undefined && manifest.prev_sha256 !== previous) {
    report(
      'chain-broken',
      key,
      `manifest ${key} names previous hash ${manifest.prev_sha256}, but manifest ${seq - 1} hashes to ${previous}: the previous manifest was altered or replaced`,
    );
  }
  if (origin !== null && manifest.origin !== origin) {
    report('chain-broken', key, `manifest ${key} says the archive starts at ${iso(manifest.origin)}, the genesis says ${iso(origin)}`);
  }
}
