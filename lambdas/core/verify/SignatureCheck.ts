/**
 * Signatures: each manifest's, chained to the previous one, verified with the operator's key
 * (or a key rotation records link to it, never one taken from the archive alone).
 */
import { manifestKey } from '../archive/keys.ts';
import type { ObjectStore, SignatureVerifier } from '../ports.ts';
import { readRotations } from '../signing/rotation.ts';
import { type SignatureRecord, canonicalMessage, recordFingerprint, signatureKey, signatureSchema } from '../signing/signatures.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { ManifestShas } from './chainWalk.ts';
import type { Inventory } from './inventory.ts';
import { type KeySegment, trustedKeySegments } from './keySegments.ts';
import type { Report } from './ProblemList.ts';

export interface ChainSignatures {
  /** The first seq with a signature record, or null when the chain has none. */
  readonly first: number | null;
  /** Seqs with a readable signature record. */
  readonly present: Set<number>;
  /** Seqs whose signature verifies and whose manifest was read. */
  readonly signed: Set<number>;
}

export interface SignatureCheckDeps {
  readonly reader: ArchiveReader;
  readonly store: ObjectStore;
  readonly verifier: SignatureVerifier;
  readonly publicKeyFromPem?: (pem: string) => SignatureVerifier;
  readonly inventory: Inventory;
  readonly shas: ManifestShas;
  readonly report: Report;
}

export class SignatureCheck {
  /** Signature records read and parsed. */
  checked = 0;
  /** Signature objects no chain has used yet: whatever is left at the end signs nothing. */
  readonly #unused: Set<string>;

  constructor(private readonly deps: SignatureCheckDeps) {
    this.#unused = new Set(deps.inventory.signatureKeys);
  }

  /** Signature objects that sign no manifest of any chain checked. */
  unused(): Iterable<string> {
    return this.#unused;
  }

  /** Checks every signature of a chain, in seq order. */
  async check(workspaceId: string, last: number): Promise<ChainSignatures> {
    const segments = await this.#keySegmentsOf(workspaceId);
    const result = { first: null as number | null, present: new Set<number>(), signed: new Set<number>() };
    let previous: SignatureRecord | undefined;
    for (let seq = 0; seq <= last; seq++) {
      const key = signatureKey(workspaceId, seq);
      if (!this.#unused.has(key)) continue;
      this.#unused.delete(key);
      const body = await this.deps.reader.read(key);
      if (!body) continue;
      const record = this.#parse(key, body);
      if (!record) continue;
      this.checked += 1;
      result.present.add(seq);
      const valid = await this.#checkRecord(workspaceId, seq, key, record, previous, segments);
      if (valid && this.deps.shas.has(manifestKey(workspaceId, seq))) result.signed.add(seq);
      previous = record;
      if (result.first === null) result.first = seq;
    }
    return result;
  }

  #parse(key: string, body: Buffer): SignatureRecord | undefined {
    try {
      return signatureSchema.parse(JSON.parse(body.toString('utf8')));
    } catch {
      this.deps.report('signature-invalid', key, `signature ${key} is not a valid signature record`);
      return undefined;
    }
  }

  /** Whether the record signs this manifest as it is now, with the key the chain names for this seq. */
  async #checkRecord(
    workspaceId: string,
    seq: number,
    key: string,
    record: SignatureRecord,
    previous: SignatureRecord | undefined,
    segments: KeySegment[],
  ): Promise<boolean> {
    const { report } = this.deps;
    const manifestEntry = this.deps.shas.get(manifestKey(workspaceId, seq));
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
    return (await this.#checkKey(key, record, segment)) && valid;
  }

  async #checkKey(key: string, record: SignatureRecord, segment: KeySegment): Promise<boolean> {
    const { report } = this.deps;
    const named = recordFingerprint(record);
    if (named !== undefined && named !== segment.fingerprint) {
      report(
        'signature-invalid',
        key,
        `signature ${key} does not verify with key ${segment.fingerprint}: it names key ${named} (forged, or made with another key; a key changes only through a rotation record)`,
      );
      return false;
    }
    if (!segment.verifier) {
      report(
        'signature-invalid',
        key,
        `signature ${key} is made with key ${segment.fingerprint}, which no valid rotation record links to the trusted key ${this.deps.verifier.fingerprint}`,
      );
      return false;
    }
    if (!(await segment.verifier.verify(canonicalMessage(record), Buffer.from(record.signature, 'base64')))) {
      report(
        'signature-invalid',
        key,
        `signature ${key} does not verify with key ${segment.fingerprint}: forged, or made with another key`,
      );
      return false;
    }
    return true;
  }

  async #keySegmentsOf(workspaceId: string): Promise<KeySegment[]> {
    const { verifier, report } = this.deps;
    if (!this.deps.inventory.rotationWorkspaces.has(workspaceId))
      return trustedKeySegments(
        [],
        verifier,
        undefined,
        () => undefined,
        () => undefined,
      );
    const { records, invalid } = await readRotations(this.deps.store, workspaceId);
    for (const r of invalid) report('rotation-invalid', r.key, `${r.key} ${r.reason}`);
    return trustedKeySegments(
      records,
      verifier,
      this.deps.publicKeyFromPem,
      (seq) => this.deps.shas.get(manifestKey(workspaceId, seq))?.sha,
      (key, message) => report('rotation-invalid', key, message),
    );
  }
}
