/**
 * The hash chain of one workspace, over every manifest (superseded ones included: the chain
 * stays linear): each manifest present, readable, valid, in its place and linked to the one before.
 */
import { createHash } from 'node:crypto';
import { manifestKey } from '../archive/keys.ts';
import { type Manifest, iso, manifestSchema } from '../archive/manifest.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { Report } from './ProblemList.ts';

export interface ChainLink {
  readonly manifest: Manifest;
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
  /** The manifests that were read and parsed, by seq. */
  readonly links: Map<number, ChainLink>;
  /** Where the genesis says the archive starts. */
  readonly origin: number | null;
}

export async function walkChain(
  reader: ArchiveReader,
  workspaceId: string,
  seqs: number[],
  shas: ManifestShas,
  report: Report,
): Promise<WalkedChain> {
  seqs.sort((a, b) => a - b);
  const last = seqs[seqs.length - 1]!;
  const present = new Set(seqs);
  const links = new Map<number, ChainLink>();
  let previous: ChainLink | undefined;
  let origin: number | null = null;
  for (let seq = 0; seq <= last; seq++) {
    const key = manifestKey(workspaceId, seq);
    if (!present.has(seq)) {
      report(
        'manifest-missing',
        key,
        `manifest ${key} is missing: the chain of workspace ${workspaceId} jumps from ${seq - 1} to the next manifest present`,
      );
      previous = undefined;
      continue;
    }
    const body = await reader.read(key);
    const manifest = body && parseManifest(key, body, report);
    if (!body || !manifest) {
      previous = undefined;
      continue;
    }
    const link: ChainLink = { manifest, sha: createHash('sha256').update(body).digest('hex'), key };
    if (seq === 0) origin = manifest.from;
    checkLink(workspaceId, seq, link, previous, origin, report);
    shas.set(key, { workspaceId, seq, sha: link.sha });
    links.set(seq, link);
    previous = link;
  }
  return { workspaceId, last, listed: seqs.length, links, origin };
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

/** `previous` is the manifest right before this one, when it was read (undefined after a gap or an unreadable one). */
function checkLink(
  workspaceId: string,
  seq: number,
  { manifest, key }: ChainLink,
  previous: ChainLink | undefined,
  origin: number | null,
  report: Report,
): void {
  if (manifest.seq !== seq || manifest.workspace_id !== workspaceId) {
    report(
      'manifest-invalid',
      key,
      `manifest ${key} claims to be seq ${manifest.seq} of workspace ${manifest.workspace_id} (moved or reordered)`,
    );
  }
  if (seq === 0) {
    if (manifest.kind !== 'genesis' || manifest.prev_sha256 !== null)
      report('chain-broken', key, `manifest ${key} should open the chain (kind genesis, no previous hash)`);
  } else if (manifest.kind === 'genesis') {
    report('chain-broken', key, `manifest ${key} is a second genesis inside the chain`);
  } else if (previous !== undefined && manifest.prev_sha256 !== previous.sha) {
    report(
      'chain-broken',
      key,
      `manifest ${key} names previous hash ${manifest.prev_sha256}, but manifest ${seq - 1} hashes to ${previous.sha}: the previous manifest was altered or replaced`,
    );
  }
  if (origin !== null && manifest.origin !== origin) {
    report('chain-broken', key, `manifest ${key} says the archive starts at ${iso(manifest.origin)}, the genesis says ${iso(origin)}`);
  }
}
