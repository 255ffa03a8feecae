/**
 * `verify`: recomputes every hash and walks each workspace's chain. Names each object that is
 * missing, altered, or outside the chain, each break in the chain, and each gap or overlap
 * between window manifests.
 */
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore, SignatureVerifier } from '../ports.ts';
import {
  SIGNATURE_ROOT,
  canonicalMessage,
  parseSignatureKey,
  recordFingerprint,
  signatureKey,
  signatureSchema,
  type SignatureRecord,
} from '../signing/signatures.ts';
import { KEYS_ROOT, parseRotationKey, readRotations } from '../signing/rotation.ts';
import type { HeadReceipt } from '../signing/receipts.ts';
import { type KeySegment, trustedKeySegments } from './keySegments.ts';
import { checkHeads, checkVersions, cleanReceipts } from './anchors.ts';
import { DATA_ROOT, MANIFEST_ROOT, QUARANTINE_ROOT, manifestKey, parseManifestKey } from '../archive/keys.ts';
import { lineIdAndTime, readGzipTextLines } from '../archive/lines.ts';
import { type Conflict, type Manifest, type ManifestPart, isWindowKind, iso, manifestSchema } from '../archive/manifest.ts';
import { INDEX_ROOT, indexBody, parseIndexKey } from '../archive/partIndex.ts';

export type ProblemCode =
  | 'manifest-missing'
  | 'manifest-invalid'
  | 'chain-broken'
  | 'window-gap'
  | 'window-overlap'
  | 'late-out-of-range'
  | 'part-missing'
  | 'part-altered'
  | 'part-inconsistent'
  | 'part-listed-twice'
  | 'duplicate-id'
  | 'stray-object'
  | 'signature-missing'
  | 'signature-invalid'
  | 'signature-chain-broken'
  | 'not-locked'
  | 'lock-mode'
  | 'retention-short'
  | 'checksum-mismatch'
  | 'lock-records-missing'
  | 'symlink'
  | 'unreadable'
  | 'head-missing'
  | 'head-mismatch'
  | 'head-stale'
  | 'rotation-invalid'
  | 'delete-marker'
  | 'noncurrent-version'
  | 'index-missing'
  | 'index-altered';

/** Not a failure, but something a reader of the result must know. */
export type WarningCode = 'unsigned-chain' | 'signed-late' | 'superseded';

export interface Warning {
  readonly code: WarningCode;
  readonly key: string;
  readonly message: string;
}

/** An object in the data area that is not data, accounted for by a manifest (never read by queries). */
export interface ArchiveException {
  readonly key: string;
  /** rejected: the collector found it and Intercom did not confirm it; acknowledged: an operator's exception manifest. */
  readonly kind: 'rejected' | 'acknowledged';
  readonly seq: number;
  readonly reason: string;
}

export interface Problem {
  readonly code: ProblemCode;
  /** The object the problem is about. */
  readonly key: string;
  readonly message: string;
}

export interface WorkspaceSummary {
  readonly workspaceId: string;
  readonly manifests: number;
  readonly windows: number;
  readonly lateManifests: number;
  readonly origin: number | null;
  readonly checkpoint: number | null;
  readonly parts: number;
  readonly records: number;
  readonly quarantined: number;
  readonly bytes: number;
  /** First manifest with a signature (earlier ones are covered through the hash chain). */
  readonly firstSignedSeq?: number | null;
  /** Unsigned manifests superseded by a recovery manifest: their claims carry no weight. */
  readonly superseded?: number[];
  /** How the chain is anchored: signatures checked with the key, or (no signature in the chain) the hash chain only. */
  readonly signing?: 'signed' | 'unsigned: hash chain only';
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly problems: Problem[];
  readonly warnings: Warning[];
  /** Rejected parts and acknowledged objects, with the manifest that accounts for each. */
  readonly exceptions: ArchiveException[];
  /** Ids Intercom served again with different content, as the manifests record them. */
  readonly conflicts: (Conflict & { readonly seq: number; readonly workspaceId: string })[];
  readonly workspaces: WorkspaceSummary[];
  readonly objectsChecked: number;
  readonly bytesChecked: number;
  readonly signaturesChecked: number;
  /** Fingerprint (SHA-256 of the public key) the signatures were checked with. */
  readonly keyFingerprint?: string;
  readonly lockChecked: number;
  /** Objects under a legal hold (of those whose lock state was checked), in key order. */
  readonly heldObjects?: string[];
  /** 'not-checked' when the store has no lock records at all (a copy), 'unsupported' when it keeps no lock state. */
  readonly lockState: 'checked' | 'not-checked' | 'unsupported' | 'not-requested';
  /** Things verify did not check, said once (never counted as problems). */
  readonly notes: string[];
  /** A head receipt for each workspace whose chain verified clean and signed (never for one with problems). */
  readonly receipts: HeadReceipt[];
  /** Object versions and delete markers listed, where the store keeps versions (S3). */
  readonly versionsChecked?: number;
}

export const NO_LOCK_RECORDS_NOTE = 'Object Lock: not checked: this folder has no lock records (a copy?)';
export const NO_INDEX_NOTE =
  "Athena part index: not checked: this folder has no index/ at all (a copy?); it only steers Athena's view, and every part was checked against its manifest";

export interface VerifyOptions {
  /** Objects read at once. @default 4 */
  readonly concurrency?: number;
  /** Checks every manifest signature with this key (never one taken from the archive). */
  readonly verifier?: SignatureVerifier;
  /** Checks that every object is locked in this mode for at least this many years. */
  readonly lock?: { readonly mode: 'COMPLIANCE' | 'GOVERNANCE'; readonly years: number };
  /** A folder without any lock records fails instead of being noted as a copy. */
  readonly requireLocks?: boolean;
  /** Each chain must reach these heads, with these manifest hashes (receipts kept outside the archive). */
  readonly expectHeads?: readonly HeadReceipt[];
  /** A workspace whose newest window ends longer ago than this fails (a deleted tail, a stopped collector). */
  readonly maxHeadAgeSeconds?: number;
  readonly now?: () => Date;
  /** Builds a verifier from a PEM public key found in a rotation record (checked against both keys' signatures first). */
  readonly publicKeyFromPem?: (pem: string) => SignatureVerifier;
  /** Also list every object version (S3): delete markers and non-current versions are problems. Needs s3:ListBucketVersions. */
  readonly checkVersions?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

interface PartRef {
  readonly part: ManifestPart;
  readonly manifest: Manifest;
  readonly quarantine: boolean;
}

export async function verifyArchive(store: ObjectStore, options: VerifyOptions = {}): Promise<VerifyResult> {
  const problems: Problem[] = [];
  const report = (code: ProblemCode, key: string, message: string) => problems.push({ code, key, message });
  const notes: string[] = [];
  // A symbolic link is never followed: it is reported, and the object it stands for is absent.
  async function* listed(root: string): AsyncGenerator<ObjectInfo> {
    for await (const object of store.list(root)) {
      if (object.symlink) {
        report(
          'symlink',
          object.key,
          `${object.key} is a symbolic link inside the archive: it is never followed (it could point anywhere, or loop); remove it and restore the real object from a copy`,
        );
        continue;
      }
      yield object;
    }
  }
  const read = async (key: string): Promise<Buffer | undefined> => {
    try {
      return await store.get(key);
    } catch (error) {
      report('unreadable', key, `${key} cannot be read (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  };
  const warnings: Warning[] = [];
  const warn = (code: WarningCode, key: string, message: string) => warnings.push({ code, key, message });
  const exceptions: ArchiveException[] = [];
  const conflicts: VerifyResult['conflicts'] = [];
  /** Objects a manifest accounts for as not-data (rejected_parts), with the manifest. */
  const rejectedKeys = new Map<string, { sha256: string; seq: number; workspaceId: string }>();
  /** Index objects the manifests name, with the bytes they must hold. */
  const indexes = new Map<string, { sha256: string; body: Buffer | undefined; seq: number }>();

  // Every object the archive holds, by area.
  const manifestKeys = new Map<string, number[]>();
  for await (const object of listed(MANIFEST_ROOT)) {
    const parsed = parseManifestKey(object.key);
    if (!parsed) {
      report('stray-object', object.key, `${object.key} is under manifests/ but is not a manifest of any chain`);
      continue;
    }
    const list = manifestKeys.get(parsed.workspaceId) ?? [];
    list.push(parsed.seq);
    manifestKeys.set(parsed.workspaceId, list);
  }
  const dataObjects = new Map<string, number>();
  for (const root of [DATA_ROOT, QUARANTINE_ROOT]) {
    for await (const object of listed(root)) dataObjects.set(object.key, object.bytes);
  }
  const indexObjects = new Set<string>();
  for await (const object of store.list(INDEX_ROOT)) indexObjects.add(object.key);

  const signatureKeys = new Set<string>();
  for await (const object of listed(SIGNATURE_ROOT)) {
    if (parseSignatureKey(object.key)) signatureKeys.add(object.key);
    else report('stray-object', object.key, `${object.key} is under signatures/ but is not a signature of any chain`);
  }
  const rotationWorkspaces = new Set<string>();
  const rotationObjects = new Set<string>();
  for await (const object of listed(KEYS_ROOT)) {
    const parsed = parseRotationKey(object.key);
    if (parsed) {
      rotationWorkspaces.add(parsed.workspaceId);
      rotationObjects.add(object.key);
    } else report('stray-object', object.key, `${object.key} is under keys/ but is not a key rotation record of any chain`);
  }
  // checkSignatures takes keys out of signatureKeys as it uses them; this copy stays whole.
  const listedSignatures = new Set(signatureKeys);
  const manifestShas = new Map<string, { workspaceId: string; seq: number; sha: string }>();

  const referenced = new Map<string, PartRef>();
  const summaries: WorkspaceSummary[] = [];
  let signaturesChecked = 0;
  const partsByWorkspace = new Map<string, PartRef[]>();
  const heads = new Map<string, { last: number; checkpoint: number | null }>();

  for (const [workspaceId, seqs] of [...manifestKeys].sort(([a], [b]) => (a < b ? -1 : 1))) {
    seqs.sort((a, b) => a - b);
    const last = seqs[seqs.length - 1]!;
    const present = new Set(seqs);
    let prevSha: string | undefined;
    let prevSeqRead = -1;
    let origin: number | null = null;
    // 1. The hash chain, over every manifest (superseded ones included: the chain stays linear).
    const chain = new Map<number, { manifest: Manifest; sha: string; key: string }>();
    for (let seq = 0; seq <= last; seq++) {
      const key = manifestKey(workspaceId, seq);
      if (!present.has(seq)) {
        report(
          'manifest-missing',
          key,
          `manifest ${key} is missing: the chain of workspace ${workspaceId} jumps from ${seq - 1} to the next manifest present`,
        );
        prevSha = undefined;
        continue;
      }
      const body = await read(key);
      if (!body) {
        prevSha = undefined;
        continue;
      }
      const sha = createHash('sha256').update(body).digest('hex');
      let manifest: Manifest;
      try {
        const parsed = manifestSchema.safeParse(JSON.parse(body.toString('utf8')));
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new Error(`${issue.path.join('.')}: ${issue.message}`);
        }
        manifest = parsed.data;
      } catch (error) {
        report(
          'manifest-invalid',
          key,
          `manifest ${key} is not a valid manifest (${error instanceof Error ? error.message : String(error)})`,
        );
        prevSha = undefined;
        continue;
      }
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
        origin = manifest.from;
      } else if (manifest.kind === 'genesis') {
        report('chain-broken', key, `manifest ${key} is a second genesis inside the chain`);
      } else if (prevSha !== undefined && prevSeqRead === seq - 1 && manifest.prev_sha256 !== prevSha) {
        report(
          'chain-broken',
          key,
          `manifest ${key} names previous hash ${manifest.prev_sha256}, but manifest ${seq - 1} hashes to ${prevSha}: the previous manifest was altered or replaced`,
        );
      }
      if (origin !== null && manifest.origin !== origin) {
        report('chain-broken', key, `manifest ${key} says the archive starts at ${iso(manifest.origin)}, the genesis says ${iso(origin)}`);
      }
      manifestShas.set(key, { workspaceId, seq, sha });
      chain.set(seq, { manifest, sha, key });
      prevSha = sha;
      prevSeqRead = seq;
    }

    // 2. Signatures, then which unsigned manifests a signed recovery supersedes or a signed adoption adopts.
    let signed: Set<number> | undefined;
    let withSignature: Set<number> | undefined;
    let firstSignedSeq: number | null | undefined;
    if (options.verifier) ({ first: firstSignedSeq, signed, present: withSignature } = await checkSignatures(workspaceId, last));
    const counts = (seq: number) => signed === undefined || signed.has(seq);
    const superseded = new Set<number>();
    const adopted = new Set<number>();
    for (const { manifest, key } of chain.values()) {
      const refs = [
        ...(manifest.supersedes ?? []).map((r) => ['supersedes', r] as const),
        ...(manifest.adopts ?? []).map((r) => ['adopts', r] as const),
      ];
      for (const [how, ref] of refs) {
        const target = chain.get(ref.seq);
        if (ref.seq >= manifest.seq || !target || target.sha !== ref.sha256) {
          report(
            'chain-broken',
            key,
            `manifest ${key} ${how} manifest ${ref.seq} with SHA-256 ${ref.sha256}, but ${target ? `it hashes to ${target.sha}` : 'it is not in the chain'}`,
          );
          continue;
        }
        if (counts(manifest.seq)) (how === 'supersedes' ? superseded : adopted).add(ref.seq);
      }
    }
    if (withSignature) reportUnsigned(workspaceId, last, withSignature, firstSignedSeq ?? null, superseded, adopted, chain);

    // 3. Coverage and parts, from the manifests that carry weight.
    let coveredTo: number | null = null;
    let windows = 0;
    let lates = 0;
    const refs: PartRef[] = [];
    for (const [seq, { manifest, key }] of [...chain].sort(([a], [b]) => a - b)) {
      if (superseded.has(seq)) {
        warn('superseded', key, `manifest ${key} (unsigned) is superseded by a signed recovery manifest: its claims carry no weight`);
        continue;
      }
      if (seq === 0) coveredTo = manifest.to;
      if (isWindowKind(manifest.kind)) {
        windows += 1;
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
        coveredTo = Math.max(coveredTo ?? manifest.to, manifest.to);
      } else if (manifest.kind === 'late') {
        lates += 1;
        if ((origin !== null && manifest.from < origin) || (coveredTo !== null && manifest.to > coveredTo)) {
          report(
            'late-out-of-range',
            key,
            `late manifest ${key} adds to [${manifest.from_iso}, ${manifest.to_iso}), which is not inside the range covered so far`,
          );
        }
      }
      for (const part of manifest.parts) refs.push({ part, manifest, quarantine: false });
      for (const part of manifest.quarantine) refs.push({ part, manifest, quarantine: true });
      for (const rejected of manifest.rejected_parts ?? []) {
        if (!rejectedKeys.has(rejected.key)) rejectedKeys.set(rejected.key, { sha256: rejected.sha256, seq, workspaceId });
        exceptions.push({
          key: rejected.key,
          kind: manifest.kind === 'exception' ? 'acknowledged' : 'rejected',
          seq,
          reason: rejected.reason,
        });
      }
      for (const conflict of manifest.conflicts ?? []) conflicts.push({ ...conflict, seq, workspaceId });
      if (manifest.index) indexes.set(manifest.index.key, { sha256: manifest.index.sha256, body: indexBody(manifest), seq });
    }
    partsByWorkspace.set(workspaceId, refs);
    heads.set(workspaceId, { last, checkpoint: coveredTo });
    const anySigned = firstSignedSeq !== undefined && firstSignedSeq !== null;
    if (signed && !anySigned) {
      warn(
        'unsigned-chain',
        manifestKey(workspaceId, last),
        `workspace ${workspaceId}: unsigned: hash chain only — no manifest of this chain is signed (it was collected with signing off), so nothing but the hash chain anchors it`,
      );
    }
    summaries.push({
      ...(firstSignedSeq !== undefined && { firstSignedSeq }),
      ...(superseded.size > 0 && { superseded: [...superseded].sort((a, b) => a - b) }),
      ...(signed && { signing: anySigned ? ('signed' as const) : ('unsigned: hash chain only' as const) }),
      workspaceId,
      manifests: seqs.length,
      windows,
      lateManifests: lates,
      origin,
      checkpoint: coveredTo,
      parts: refs.length,
      records: refs.filter((r) => !r.quarantine).reduce((n, r) => n + r.part.records, 0),
      quarantined: refs.filter((r) => r.quarantine).reduce((n, r) => n + r.part.records, 0),
      bytes: refs.reduce((n, r) => n + r.part.bytes, 0),
    });
  }

  /**
   * Unsigned manifests: accepted when a signed recovery supersedes them or a signed adoption
   * adopts them; before the chain's first signature, a warning (signing began later, v1); in a
   * chain with no signature at all, the hash chain only (a warning); anything else is a problem.
   */
  function reportUnsigned(
    workspaceId: string,
    last: number,
    signed: Set<number>,
    first: number | null,
    superseded: Set<number>,
    adopted: Set<number>,
    chain: Map<number, { manifest: Manifest }>,
  ) {
    if (first === null) return;
    const early: number[] = [];
    for (let seq = 0; seq <= last; seq++) {
      if (signed.has(seq) || superseded.has(seq) || adopted.has(seq) || !chain.has(seq)) continue;
      const key = manifestKey(workspaceId, seq);
      if (seq < first) early.push(seq);
      else if (seq === last) {
        report(
          'signature-missing',
          key,
          `manifest ${key} (the chain head) has no signature: nothing anchors the chain's end — the next collect run supersedes it with a signed recovery manifest and re-collects its range`,
        );
      } else {
        report(
          'signature-missing',
          key,
          `manifest ${key} has no signature ${signatureKey(workspaceId, seq)} although earlier manifests are signed, and no signed recovery manifest supersedes it`,
        );
      }
    }
    if (early.length > 0) {
      warn(
        'signed-late',
        manifestKey(workspaceId, early[0]!),
        `workspace ${workspaceId}: manifests ${formatSeqs(early)} were written before signing began; they are covered only through the hash chain by the signature of manifest ${first}, which did not write them — run \`audit-archive keys adopt-unsigned\` to re-confirm them explicitly`,
      );
    }
  }

  // Signatures: each manifest's, chained to the previous one, verified with the operator's key.
  /** Checks every signature of a chain; returns the first signed seq, the seqs with a signature, and those whose signature verifies. */
  async function checkSignatures(
    workspaceId: string,
    last: number,
  ): Promise<{ first: number | null; present: Set<number>; signed: Set<number> }> {
    const segments = await keySegmentsOf(workspaceId);
    let previous: SignatureRecord | undefined;
    let first: number | null = null;
    const present = new Set<number>();
    const signed = new Set<number>();
    for (let seq = 0; seq <= last; seq++) {
      const key = signatureKey(workspaceId, seq);
      const manifestEntry = manifestShas.get(manifestKey(workspaceId, seq));
      if (!signatureKeys.has(key)) continue;
      signatureKeys.delete(key);
      let record: SignatureRecord;
      const body = await read(key);
      if (!body) continue;
      try {
        record = signatureSchema.parse(JSON.parse(body.toString('utf8')));
      } catch {
        report('signature-invalid', key, `signature ${key} is not a valid signature record`);
        continue;
      }
      signaturesChecked += 1;
      present.add(seq);
      let valid = true;
      if (record.workspace_id !== workspaceId || record.seq !== seq) {
        report('signature-invalid', key, `signature ${key} claims to sign seq ${record.seq} of workspace ${record.workspace_id}`);
        valid = false;
      }
      if (manifestEntry && record.manifest_sha256 !== manifestEntry.sha) {
        report(
          'signature-invalid',
          key,
          `signature ${key} signed manifest SHA-256 ${record.manifest_sha256}, but ${manifestKey(workspaceId, seq)} now hashes to ${manifestEntry.sha}: the manifest was replaced after signing`,
        );
        valid = false;
      }
      if (record.prev_signature !== (previous?.signature ?? null) || record.prev_signed_seq !== (previous?.seq ?? null)) {
        report(
          'signature-chain-broken',
          key,
          `signature ${key} names previous signature of seq ${record.prev_signed_seq ?? 'none'}, but the previous signature found is of seq ${previous?.seq ?? 'none'}`,
        );
      }
      const segment = [...segments].reverse().find((s) => s.firstSeq <= seq)!;
      const named = recordFingerprint(record);
      if (named !== undefined && named !== segment.fingerprint) {
        report(
          'signature-invalid',
          key,
          `signature ${key} does not verify with key ${segment.fingerprint}: it names key ${named} (forged, or made with another key; a key changes only through a rotation record)`,
        );
        valid = false;
      } else if (!segment.verifier) {
        report(
          'signature-invalid',
          key,
          `signature ${key} is made with key ${segment.fingerprint}, which no valid rotation record links to the trusted key ${options.verifier!.fingerprint}`,
        );
        valid = false;
      } else if (!(await segment.verifier.verify(canonicalMessage(record), Buffer.from(record.signature, 'base64')))) {
        report(
          'signature-invalid',
          key,
          `signature ${key} does not verify with key ${segment.fingerprint}: forged, or made with another key`,
        );
        valid = false;
      }
      if (valid && manifestEntry) signed.add(seq);
      previous = record;
      if (first === null) first = seq;
    }
    return { first, present, signed };
  }

  async function keySegmentsOf(workspaceId: string): Promise<KeySegment[]> {
    if (!rotationWorkspaces.has(workspaceId))
      return trustedKeySegments(
        [],
        options.verifier!,
        undefined,
        () => undefined,
        () => undefined,
      );
    const { records, invalid } = await readRotations(store, workspaceId);
    for (const r of invalid) report('rotation-invalid', r.key, `${r.key} ${r.reason}`);
    return trustedKeySegments(
      records,
      options.verifier!,
      options.publicKeyFromPem,
      (seq) => manifestShas.get(manifestKey(workspaceId, seq))?.sha,
      (key, message) => report('rotation-invalid', key, message),
    );
  }

  // Parts: each listed once, present, unaltered, and consistent with its manifest.
  const toCheck: PartRef[] = [];
  for (const refs of partsByWorkspace.values()) {
    for (const ref of refs) {
      const earlier = referenced.get(ref.part.key);
      if (earlier) {
        report(
          'part-listed-twice',
          ref.part.key,
          `${ref.part.key} is listed by manifest ${earlier.manifest.seq} and again by manifest ${ref.manifest.seq}`,
        );
        continue;
      }
      referenced.set(ref.part.key, ref);
      if (!dataObjects.has(ref.part.key)) {
        report(
          'part-missing',
          ref.part.key,
          `${ref.part.key} is listed by manifest ${manifestKey(ref.manifest.workspace_id, ref.manifest.seq)} but does not exist`,
        );
        continue;
      }
      toCheck.push(ref);
    }
  }
  // Parts are read concurrently; their ids are compared afterwards in key order, so a duplicate
  // always names the same (later) object however the reads interleave.
  const idsOfPart = new Map<PartRef, string[]>();
  let done = 0;
  let bytesChecked = 0;
  const checkPart = async (ref: PartRef) => {
    const { part, manifest } = ref;
    const body = await read(part.key);
    if (!body) return;
    bytesChecked += body.length;
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== part.sha256 || body.length !== part.bytes) {
      const how =
        body.length < part.bytes
          ? `truncated to ${body.length} of ${part.bytes} bytes`
          : body.length > part.bytes
            ? `grown to ${body.length} bytes from ${part.bytes}`
            : 'altered (same size, different bytes)';
      report('part-altered', part.key, `${part.key} is ${how}: SHA-256 ${sha}, manifest ${manifest.seq} recorded ${part.sha256}`);
      return;
    }
    // The hash matches; the contents must also match what the manifest says about them.
    const ids: string[] = [];
    let records = 0;
    let outside = 0;
    try {
      for await (const line of readGzipTextLines(body)) {
        records += 1;
        if (ref.quarantine) continue;
        const { id, createdAt } = lineIdAndTime(line);
        if (typeof createdAt !== 'number' || createdAt < manifest.from || createdAt >= manifest.to) outside += 1;
        ids.push(id);
      }
    } catch (error) {
      report(
        'part-inconsistent',
        part.key,
        `${part.key} cannot be read as gzip JSON lines (${error instanceof Error ? error.message : String(error)})`,
      );
      return;
    }
    idsOfPart.set(ref, ids);
    if (records !== part.records)
      report('part-inconsistent', part.key, `${part.key} holds ${records} lines, manifest ${manifest.seq} says ${part.records}`);
    if (outside > 0)
      report(
        'part-inconsistent',
        part.key,
        `${part.key} holds ${outside} entries outside its manifest's range [${manifest.from_iso}, ${manifest.to_iso})`,
      );
  };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let cursor = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, toCheck.length) }, async () => {
      while (cursor < toCheck.length) {
        const ref = toCheck[cursor++]!;
        await checkPart(ref);
        done += 1;
        options.onProgress?.(done, toCheck.length);
      }
    }),
  );

  const idsByWorkspace = new Map<string, Map<string, string>>();
  for (const ref of [...idsOfPart.keys()].sort((a, b) => compareText(a.part.key, b.part.key))) {
    const seen = idsByWorkspace.get(ref.manifest.workspace_id) ?? new Map<string, string>();
    idsByWorkspace.set(ref.manifest.workspace_id, seen);
    for (const id of idsOfPart.get(ref)!) {
      const first = seen.get(id);
      if (first !== undefined) report('duplicate-id', ref.part.key, `entry ${id} is archived twice: in ${first} and in ${ref.part.key}`);
      else seen.set(id, ref.part.key);
    }
    idsOfPart.delete(ref);
  }

  if (options.verifier) for (const key of signatureKeys) report('stray-object', key, `${key} signs no manifest of the chain`);
  for (const key of rotationObjects) {
    if (!manifestKeys.has(parseRotationKey(key)!.workspaceId))
      report('stray-object', key, `${key} rotates the key of a workspace that has no manifest chain`);
  }

  // Object Lock: every part, manifest and signature locked in the expected mode, long enough,
  // with the checksum the store computed when it was written.
  let lockChecked = 0;
  const heldObjects: string[] = [];
  let lockState: VerifyResult['lockState'] = !options.lock ? 'not-requested' : store.objectLock ? 'checked' : 'unsupported';
  if (options.lock && store.objectLock && store.hasLockRecords && !(await store.hasLockRecords())) {
    // A copy (aws s3 sync, an assessor's download) carries no lock state: said once, not per object.
    lockState = 'not-checked';
    if (options.requireLocks)
      report(
        'lock-records-missing',
        '.object-lock/',
        `${store.location} has no Object Lock records at all (a copy?), and --require-locks was given: verify the original archive, or drop --require-locks to verify a copy`,
      );
    else notes.push(NO_LOCK_RECORDS_NOTE);
  }
  if (lockState === 'unsupported' && options.requireLocks)
    report('lock-records-missing', '.object-lock/', `${store.location} keeps no Object Lock state, and --require-locks was given`);
  if (options.lock && store.objectLock && lockState === 'checked') {
    const expected = new Map<string, string | undefined>();
    for (const ref of referenced.values()) expected.set(ref.part.key, ref.part.sha256);
    for (const [key, index] of indexes) if (indexObjects.has(key)) expected.set(key, index.sha256);
    for (const [key, m] of manifestShas) {
      expected.set(key, m.sha);
      const sig = signatureKey(m.workspaceId, m.seq);
      if (listedSignatures.has(sig)) expected.set(sig, undefined);
    }
    for (const key of rotationObjects) expected.set(key, undefined);
    const minDays = options.lock.years * 365 - 1;
    for (const [key, sha] of expected) {
      const lock = await store.objectLock(key);
      lockChecked += 1;
      if (lock?.legalHold) heldObjects.push(key);
      if (!lock?.mode) {
        report('not-locked', key, `${key} is not under Object Lock (expected ${options.lock.mode} for ${options.lock.years} years)`);
        continue;
      }
      if (lock.mode !== options.lock.mode)
        report('lock-mode', key, `${key} is locked in ${lock.mode} mode, but ${options.lock.mode} was promised`);
      if (lock.retainUntil && lock.createdAt) {
        const days = (Date.parse(lock.retainUntil) - Date.parse(lock.createdAt)) / 86_400_000;
        if (days < minDays)
          report(
            'retention-short',
            key,
            `${key} is retained until ${lock.retainUntil}, only ${Math.floor(days)} days after it was written (${lock.createdAt}); ${options.lock.years} years were promised`,
          );
      }
      if (sha && lock.sha256 && lock.sha256 !== sha)
        report('checksum-mismatch', key, `${key}: the store's own SHA-256 is ${lock.sha256}, the chain says ${sha}`);
    }
  }

  // Rejected and acknowledged objects are accounted for (disclosed, never read), but must still be the bytes the manifest names.
  for (const [key, rejected] of rejectedKeys) {
    if (referenced.has(key)) continue;
    if (!dataObjects.has(key) && !indexObjects.has(key)) continue;
    const sha = createHash('sha256')
      .update(await store.get(key))
      .digest('hex');
    if (sha !== rejected.sha256)
      report(
        'part-altered',
        key,
        `${key} is listed as rejected by manifest ${rejected.seq} with SHA-256 ${rejected.sha256}, but now hashes to ${sha}`,
      );
  }
  // A copy of activity_logs/, manifests/ and signatures/ (what an assessor downloads) has no index/ at
  // all: the index only steers Athena, and every part was checked against its manifest, so say it once.
  const noIndexAtAll = indexObjects.size === 0 && indexes.size > 0;
  if (noIndexAtAll) notes.push(NO_INDEX_NOTE);
  for (const [key, index] of indexes) {
    if (noIndexAtAll) break;
    if (!indexObjects.has(key)) {
      report(
        'index-missing',
        key,
        `${key} is named by manifest ${index.seq} but does not exist: Athena would not read that manifest's parts (the next collect run writes it when it is the head)`,
      );
      continue;
    }
    const body = await store.get(key);
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== index.sha256 || (index.body && !index.body.equals(body)))
      report(
        'index-altered',
        key,
        `${key} is not the index manifest ${index.seq} names (SHA-256 ${sha}, expected ${index.sha256}): Athena would read what it lists`,
      );
  }
  for (const key of indexObjects) {
    if (indexes.has(key) || rejectedKeys.has(key)) continue;
    report(
      'stray-object',
      key,
      `${key} is not named by any manifest${parseIndexKey(key) ? '' : ' and is not an index key'}: Athena would read the parts it lists — acknowledge it, and check what it names`,
    );
  }

  for (const key of dataObjects.keys()) {
    if (!referenced.has(key) && !rejectedKeys.has(key))
      report(
        'stray-object',
        key,
        `${key} is not listed by any manifest: it is outside the chain (written by hand, or by a run whose manifest is missing) — queries never read it; \`audit-archive acknowledge\` records it as an exception`,
      );
  }

  checkHeads(heads, manifestShas, options, report);
  const versionsChecked = options.checkVersions && store.listVersions ? await checkVersions(store, report) : undefined;

  problems.sort((a, b) => compareText(a.key, b.key) || compareText(a.code, b.code) || compareText(a.message, b.message));
  warnings.sort((a, b) => compareText(a.key, b.key) || compareText(a.code, b.code));
  exceptions.sort((a, b) => compareText(a.key, b.key) || a.seq - b.seq);
  return {
    ok: problems.length === 0,
    problems,
    warnings,
    exceptions,
    conflicts,
    workspaces: summaries,
    objectsChecked: toCheck.length,
    bytesChecked,
    signaturesChecked,
    ...(options.verifier && { keyFingerprint: options.verifier.fingerprint }),
    lockChecked,
    ...(heldObjects.length > 0 && { heldObjects: heldObjects.sort(compareText) }),
    lockState,
    notes,
    receipts: options.verifier ? cleanReceipts(heads, manifestShas, problems) : [],
    ...(versionsChecked !== undefined && { versionsChecked }),
  };
}

/** `3, 4, 5, 9` → `3–5, 9`. */
function formatSeqs(seqs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; i++) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out.push(i === j ? String(seqs[i]) : `${seqs[i]}–${seqs[j]}`);
    i = j;
  }
  return out.join(', ');
}

/** Code-unit order, the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
