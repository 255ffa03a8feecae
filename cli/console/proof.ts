/**
 * An event's proof for the console: the part that holds it and its SHA-256, the manifest that
 * lists the part and the signature over it — built by the `trace` core and checked with the
 * operator's public key (never the key a proof or the archive carries).
 */
import type { ObjectStore, SignatureVerifier } from '../../lambdas/core/ports.ts';
import { traceEntry, verifyProof } from '../../lambdas/core/trace/trace.ts';

export interface ConsoleProof {
  readonly part: { key: string; sha256: string; bytes: number };
  readonly manifest: { key: string; seq: number; kind: string; from_iso: string; to_iso: string; sha256: string };
  readonly signature: { algorithm: string; key_id: string; signed_at: string } | null;
  /** true: every link holds with the operator's key; false: `problems` says which does not; null: no key to check with. */
  readonly verified: boolean | null;
  readonly problems: string[];
  readonly key: { fingerprint: string; source: string } | null;
}

export interface OperatorKey {
  readonly verifier: SignatureVerifier;
  /** Where the key came from, e.g. `--public-key keys/manifest.pem`. */
  readonly source: string;
}

export async function eventProof(
  store: ObjectStore,
  id: string,
  workspaceId: string,
  key: OperatorKey | undefined,
): Promise<ConsoleProof | undefined> {
  const proof = await traceEntry(store, id, [workspaceId], null);
  if (!proof) return undefined;
  const checked = key ? await verifyProof(proof, key.verifier) : undefined;
  const { base64: _bytes, ...part } = proof.part;
  const { text: _text, ...manifest } = proof.manifest;
  return {
    part,
    manifest,
    signature: proof.signature && {
      algorithm: proof.signature.algorithm,
      key_id: proof.signature.key_id,
      signed_at: proof.signature.signed_at,
    },
    verified: checked ? checked.ok : null,
    problems: checked ? checked.problems : ['no public key was given: start the console with --public-key <pem> to check the signature'],
    key: key ? { fingerprint: key.verifier.fingerprint, source: key.source } : null,
  };
}

/** The shell commands that reproduce the proof offline, quoted for a POSIX shell. */
export function traceCommands(id: string, archive: string, keySource: string | undefined): string {
  const q = (text: string) => (/^[A-Za-z0-9_./:=@+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  const file = q(`proof-${id}.json`);
  return [
    `npx audit-archive trace ${q(id)} --archive ${q(archive)} --out ${file}`,
    `npx audit-archive trace verify ${file} --public-key ${keySource ? q(keySource) : '<manifest-signing public key from your records>'}`,
  ].join('\n');
}
