/**
 * Which key signs which part of a chain: the operator's trusted key, extended through rotation
 * records. A rotation record is followed only when both its signatures verify — the old key's
 * (handing the chain over) and the new key's (accepting it) — and one of those keys is already
 * trusted, so trust spreads from the operator's key forward and backward, never from the archive.
 */
import type { SignatureVerifier } from '../ports.ts';
import { type RotationRecord, rotationMessage } from '../signing/rotation.ts';

export interface KeySegment {
  /** The first seq this key signs. */
  readonly firstSeq: number;
  /** The key the chain names for these seqs. */
  readonly fingerprint: string;
  /** Its verifier, when the key is the trusted one or linked to it by valid rotation records. */
  readonly verifier?: SignatureVerifier;
}

export interface RotationInput {
  readonly key: string;
  readonly record: RotationRecord;
}

export async function trustedKeySegments(
  rotations: readonly RotationInput[],
  trusted: SignatureVerifier,
  fromPem: ((pem: string) => SignatureVerifier) | undefined,
  manifestSha: (seq: number) => string | undefined,
  report: (key: string, message: string) => void,
): Promise<KeySegment[]> {
  const sorted = [...rotations].sort((a, b) => a.record.first_seq - b.record.first_seq);
  if (sorted.length === 0) return [{ firstSeq: 0, fingerprint: trusted.fingerprint, verifier: trusted }];
  const fingerprints = [sorted[0]!.record.old_key.fingerprint, ...sorted.map((r) => r.record.new_key.fingerprint)];
  const verifiers: (SignatureVerifier | undefined)[] = fingerprints.map(() => undefined);
  const broken = brokenRotations(sorted, manifestSha, report);
  const start = fingerprints.indexOf(trusted.fingerprint);
  if (start >= 0) verifiers[start] = trusted;

  const load = (pem: string, fingerprint: string): SignatureVerifier | undefined => {
    try {
      const v = fromPem?.(pem);
      return v && v.fingerprint === fingerprint ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const link = async (i: number, known: 'old' | 'new'): Promise<SignatureVerifier | undefined> => {
    const { key, record } = sorted[i]!;
    if (broken.has(i)) return undefined;
    const other = known === 'old' ? record.new_key : record.old_key;
    const otherVerifier = load(other.public_key_pem, other.fingerprint);
    if (!otherVerifier) {
      report(
        key,
        `rotation record ${key}: its ${known === 'old' ? 'new' : 'old'} public key is missing, unreadable or does not have fingerprint ${other.fingerprint}`,
      );
      return undefined;
    }
    const oldVerifier = known === 'old' ? verifiers[i]! : otherVerifier;
    const newVerifier = known === 'old' ? otherVerifier : verifiers[i + 1]!;
    const message = rotationMessage(record);
    const oldOk = await oldVerifier.verify(message, Buffer.from(record.old_signature, 'base64'));
    const newOk = await newVerifier.verify(message, Buffer.from(record.new_signature, 'base64'));
    if (!oldOk || !newOk) {
      report(
        key,
        `rotation record ${key} is not signed by both keys (${oldOk ? '' : `old key ${record.old_key.fingerprint}`}${!oldOk && !newOk ? ' and ' : ''}${newOk ? '' : `new key ${record.new_key.fingerprint}`} does not verify): forged, or altered after signing`,
      );
      return undefined;
    }
    return otherVerifier;
  };
  if (start >= 0) {
    for (let i = start; i < sorted.length; i++) {
      const next = await link(i, 'old');
      if (!next) break;
      verifiers[i + 1] = next;
    }
    for (let i = start - 1; i >= 0; i--) {
      const previous = await link(i, 'new');
      if (!previous) break;
      verifiers[i] = previous;
    }
  }
  return fingerprints.map((fingerprint, i) => ({
    firstSeq: i === 0 ? 0 : sorted[i - 1]!.record.first_seq,
    fingerprint,
    ...(verifiers[i] && { verifier: verifiers[i] }),
  }));
}

/** Indexes of rotation records that do not follow the one before, or do not start right after their head as it is now. */
function brokenRotations(
  sorted: readonly RotationInput[],
  manifestSha: (seq: number) => string | undefined,
  report: (key: string, message: string) => void,
): Set<number> {
  const broken = new Set<number>();
  sorted.forEach(({ key, record }, i) => {
    if (i > 0 && sorted[i - 1]!.record.new_key.fingerprint !== record.old_key.fingerprint) {
      report(
        key,
        `rotation record ${key} hands over from key ${record.old_key.fingerprint}, but the previous rotation handed the chain to key ${sorted[i - 1]!.record.new_key.fingerprint}`,
      );
      broken.add(i);
    }
    if (record.head_seq !== record.first_seq - 1) {
      report(
        key,
        `rotation record ${key} names head ${record.head_seq} but first seq ${record.first_seq}: the new key must take over right after the head`,
      );
      broken.add(i);
    }
    const sha = manifestSha(record.head_seq);
    if (sha !== undefined && sha !== record.head_sha256) {
      report(
        key,
        `rotation record ${key} was made at head ${record.head_seq} with SHA-256 ${record.head_sha256}, but that manifest now hashes to ${sha}`,
      );
      broken.add(i);
    }
  });
  return broken;
}
