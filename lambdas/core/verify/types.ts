/** What `verify` reports and takes: problem and warning codes, the result, the options. */
import type { Conflict } from '../archive/manifest.ts';
import type { SignatureVerifier } from '../ports.ts';
import type { HeadReceipt } from '../signing/receipts.ts';
import type { PartChecker } from './partBody.ts';

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
  /** Checked from this receipt's manifest on (`fromReceipts`): earlier manifests, their parts, signatures and locks were trusted, not read; the counts cover what was checked. */
  readonly checkedFrom?: number;
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
  /** Objects read (or lock states asked for) at once: parts, manifests, signatures, indexes. @default 32 */
  readonly concurrency?: number;
  /** Part bytes held in memory at once; a larger part is read alone. @default 64 MiB */
  readonly maxBytesInFlight?: number;
  /**
   * Earlier verified heads (receipts `verify` printed, kept outside the archive), at most one per
   * workspace: the chain is checked from there on only. The receipt's manifest must still hash to
   * the receipt and carry a valid signature of the trusted key; when it does not, the problem is
   * reported and the whole chain of that workspace is checked. Needs `verifier`.
   */
  readonly fromReceipts?: readonly HeadReceipt[];
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
  /** Checks each part's bytes (hash, lines, ids): in this process by default; the CLI passes worker threads. Same outcome either way. */
  readonly checkPart?: PartChecker;
}

/** Code-unit order, the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `3, 4, 5, 9` → `3–5, 9`. */
export function formatSeqs(seqs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; i++) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out.push(i === j ? String(seqs[i]) : `${seqs[i]}–${seqs[j]}`);
    i = j;
  }
  return out.join(', ');
}
