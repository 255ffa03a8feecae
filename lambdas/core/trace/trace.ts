/**
 * Chain of custody for one archived entry: the line, the part that holds it (SHA-256), the
 * manifest that lists the part (seq, window, SHA-256) and the signature over that manifest.
 * The proof is self-contained — it carries the part and the manifest bytes — so it can be
 * checked offline with the public key alone. The chain from that manifest to the head is
 * `verify`'s job; the proof says so.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { findHead, readManifest } from '../archive/chain.ts';
import { manifestKey } from '../archive/keys.ts';
import { lineIdAndTime, readGzipTextLines } from '../archive/lines.ts';
import { manifestSchema, sha256Hex } from '../archive/manifest.ts';
import type { ObjectStore, SignatureVerifier } from '../ports.ts';
import { canonicalMessage, readSignature, signatureSchema } from '../signing/signatures.ts';

export const TRACE_FORMAT = 'intercom-audit-archive/trace-proof/v1';

export const proofSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT),
  entry_id: z.string(),
  workspace_id: z.string(),
  entry_line: z.string(),
  part: z.strictObject({ key: z.string(), sha256: z.string(), bytes: z.number().int(), base64: z.string() }),
  manifest: z.strictObject({
    key: z.string(),
    seq: z.number().int(),
    kind: z.string(),
    from_iso: z.string(),
    to_iso: z.string(),
    sha256: z.string(),
    text: z.string(),
  }),
  signature: signatureSchema.nullable(),
  public_key_pem: z.string().nullable(),
  note: z.string(),
});
export type TraceProof = z.infer<typeof proofSchema>;

/** Finds the entry by id, newest manifests first, and builds its proof; undefined when no listed part holds it. */
export async function traceEntry(
  store: ObjectStore,
  entryId: string,
  workspaceIds: readonly string[],
  publicKeyPem: string | null,
): Promise<TraceProof | undefined> {
  for (const workspaceId of workspaceIds) {
    let current = await findHead(store, workspaceId);
    while (current) {
      for (const part of current.manifest.parts) {
        const body = await store.get(part.key);
        for await (const line of readGzipTextLines(body)) {
          if (lineIdAndTime(line).id !== entryId) continue;
          const manifestBody = await store.get(current.key);
          return {
            format: TRACE_FORMAT,
            entry_id: entryId,
            workspace_id: workspaceId,
            entry_line: line,
            part: { key: part.key, sha256: sha256Hex(body), bytes: body.length, base64: body.toString('base64') },
            manifest: {
              key: current.key,
              seq: current.manifest.seq,
              kind: current.manifest.kind,
              from_iso: current.manifest.from_iso,
              to_iso: current.manifest.to_iso,
              sha256: sha256Hex(manifestBody),
              text: manifestBody.toString('utf8'),
            },
            signature: (await readSignature(store, workspaceId, current.manifest.seq)) ?? null,
            public_key_pem: publicKeyPem,
            note: "This proof links the entry to one signed manifest. That the manifest is part of the workspace's unbroken chain up to its head is checked by `audit-archive verify`.",
          };
        }
      }
      current = current.manifest.seq > 0 ? await readManifest(store, workspaceId, current.manifest.seq - 1) : undefined;
    }
  }
  return undefined;
}

/** Checks a proof offline with a public key the caller brings. Names each link that does not hold. */
export async function verifyProof(proof: TraceProof, verifier: SignatureVerifier): Promise<{ ok: boolean; problems: string[] }> {
  const problems: string[] = [];
  const part = Buffer.from(proof.part.base64, 'base64');
  if (sha256Hex(part) !== proof.part.sha256)
    problems.push(`part: its bytes hash to ${sha256Hex(part)}, the proof says ${proof.part.sha256}`);
  let found = false;
  try {
    const lines = createInterface({ input: Readable.from([part]).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) if (line === proof.entry_line) found = true;
  } catch {
    problems.push('part: not a gzip part');
  }
  if (!found) problems.push('entry: the entry line is not in the part');
  if (lineIdAndTime(proof.entry_line).id !== proof.entry_id) problems.push(`entry: the line's id is not ${proof.entry_id}`);
  if (sha256Hex(proof.manifest.text) !== proof.manifest.sha256)
    problems.push(`manifest: its text hashes to ${sha256Hex(proof.manifest.text)}, the proof says ${proof.manifest.sha256}`);
  const manifest = manifestSchema.safeParse(
    (() => {
      try {
        return JSON.parse(proof.manifest.text);
      } catch {
        return undefined;
      }
    })(),
  );
  if (!manifest.success) problems.push('manifest: not a valid manifest');
  else {
    if (!manifest.data.parts.some((p) => p.key === proof.part.key && p.sha256 === sha256Hex(part)))
      problems.push(`manifest: it does not list part ${proof.part.key} with SHA-256 ${sha256Hex(part)}`);
    // The summary fields are printed as the result: each must say what the signed manifest text says.
    const m = manifest.data;
    const claimed = {
      workspace_id: proof.workspace_id,
      key: proof.manifest.key,
      seq: proof.manifest.seq,
      kind: proof.manifest.kind,
      from_iso: proof.manifest.from_iso,
      to_iso: proof.manifest.to_iso,
    };
    const actual = {
      workspace_id: m.workspace_id,
      key: manifestKey(m.workspace_id, m.seq),
      seq: m.seq,
      kind: m.kind,
      from_iso: m.from_iso,
      to_iso: m.to_iso,
    };
    for (const field of Object.keys(claimed) as (keyof typeof claimed)[]) {
      if (claimed[field] !== actual[field])
        problems.push(`manifest: the proof says ${field} ${String(claimed[field])}, the manifest text says ${String(actual[field])}`);
    }
    if (proof.signature && (proof.signature.seq !== m.seq || proof.signature.workspace_id !== m.workspace_id))
      problems.push(
        `signature: it is for manifest ${proof.signature.seq} of workspace ${proof.signature.workspace_id}, not ${m.seq} of ${m.workspace_id}`,
      );
  }
  const sig = proof.signature;
  if (!sig) problems.push('signature: the manifest has no signature');
  else {
    if (sig.manifest_sha256 !== sha256Hex(proof.manifest.text)) problems.push('signature: it signs another manifest');
    if (!(await verifier.verify(canonicalMessage(sig), Buffer.from(sig.signature, 'base64'))))
      problems.push(`signature: it does not verify with the key given (fingerprint ${verifier.fingerprint})`);
  }
  return { ok: problems.length === 0, problems };
}
