/**
 * Signed report packs. `SHA256SUMS` lists every file of the pack (in `sha256sum -c` format) and
 * `manifest.sig.json` signs, with a report-signing key that is not the manifest key, a canonical
 * text naming the pack's quarter and the SHA-256 of `manifest.json` and of `SHA256SUMS`. Anyone
 * who edits a CSV can recompute the hashes, but not this signature.
 */
import { z } from 'zod';
import { sha256Hex } from '../archive/manifest.ts';
import type { ManifestSigner, SignatureVerifier } from '../ports.ts';

export const PACK_SIGNATURE_FORMAT = 'intercom-audit-archive/report-signature/v1';
export const SUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'manifest.sig.json';

/** A signer of report packs and the fingerprint of its public key (recorded in the pack). */
export interface ReportSigner {
  readonly signer: ManifestSigner;
  /** SHA-256 of the public key (DER SubjectPublicKeyInfo), hex. */
  readonly fingerprint: string;
}

export const packSignatureSchema = z.strictObject({
  format: z.literal(PACK_SIGNATURE_FORMAT),
  quarter: z.string(),
  manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sha256sums_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  key_id: z.string(),
  key_fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  algorithm: z.enum(['ED25519', 'RSASSA_PSS_SHA_256']),
  signature: z.string(),
  signed_at: z.string(),
});
export type PackSignature = z.infer<typeof packSignatureSchema>;

/** `sha256sum` lines (`<hex>  <name>`), sorted by name. */
export function sha256Sums(files: readonly { name: string; sha256: string }[]): Buffer {
  return Buffer.from(
    [...files]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((f) => `${f.sha256}  ${f.name}\n`)
      .join(''),
    'utf8',
  );
}

/** The exact bytes signed: fixed order, one field per line. */
export function packSignedText(s: Pick<PackSignature, 'quarter' | 'manifest_sha256' | 'sha256sums_sha256' | 'key_fingerprint'>): Buffer {
  return Buffer.from(
    [
      PACK_SIGNATURE_FORMAT,
      `quarter=${s.quarter}`,
      `manifest_sha256=${s.manifest_sha256}`,
      `sha256sums_sha256=${s.sha256sums_sha256}`,
      `key_fingerprint=${s.key_fingerprint}`,
      '',
    ].join('\n'),
    'utf8',
  );
}

export async function signPack(options: {
  quarter: string;
  manifest: Buffer;
  sums: Buffer;
  signer: ReportSigner;
  now: Date;
}): Promise<Buffer> {
  const fields = {
    quarter: options.quarter,
    manifest_sha256: sha256Hex(options.manifest),
    sha256sums_sha256: sha256Hex(options.sums),
    key_fingerprint: options.signer.fingerprint,
  };
  const signature = await options.signer.signer.sign(packSignedText(fields));
  const record: PackSignature = {
    format: PACK_SIGNATURE_FORMAT,
    ...fields,
    key_id: options.signer.signer.keyId,
    algorithm: options.signer.signer.algorithm,
    signature: signature.toString('base64'),
    signed_at: options.now.toISOString(),
  };
  return Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
}

export interface PackProblem {
  readonly file: string;
  readonly message: string;
}

/**
 * Checks a pack: the signature (with a key the caller brings, never one from the pack), that
 * `manifest.json` and `SHA256SUMS` are the signed ones, every file against `SHA256SUMS`, and
 * that the folder holds nothing else. `read` returns a file's bytes or undefined when absent.
 */
export async function verifyPack(options: {
  names: readonly string[];
  read: (name: string) => Promise<Buffer | undefined>;
  verifier: SignatureVerifier;
}): Promise<{ ok: boolean; problems: PackProblem[]; checked: number; signature?: PackSignature }> {
  const problems: PackProblem[] = [];
  const sigBody = await options.read(SIGNATURE_FILE);
  if (!sigBody)
    return { ok: false, problems: [{ file: SIGNATURE_FILE, message: `${SIGNATURE_FILE} is missing: the pack is not signed` }], checked: 0 };
  const parsed = packSignatureSchema.safeParse(
    (() => {
      try {
        return JSON.parse(sigBody.toString('utf8'));
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success)
    return { ok: false, problems: [{ file: SIGNATURE_FILE, message: `${SIGNATURE_FILE} is not a report signature record` }], checked: 0 };
  const sig = parsed.data;
  if (sig.key_fingerprint !== options.verifier.fingerprint) {
    problems.push({
      file: SIGNATURE_FILE,
      message: `signed with key ${sig.key_fingerprint}, not with the key given (${options.verifier.fingerprint})`,
    });
  } else if (!(await options.verifier.verify(packSignedText(sig), Buffer.from(sig.signature, 'base64')))) {
    problems.push({ file: SIGNATURE_FILE, message: 'the signature does not verify with the key given' });
  }
  const manifest = await options.read('manifest.json');
  if (!manifest) problems.push({ file: 'manifest.json', message: 'manifest.json is missing' });
  else if (sha256Hex(manifest) !== sig.manifest_sha256)
    problems.push({
      file: 'manifest.json',
      message: `manifest.json differs from the signed one (SHA-256 ${sha256Hex(manifest)}, signed ${sig.manifest_sha256})`,
    });
  const sums = await options.read(SUMS_FILE);
  let checked = 0;
  if (!sums) problems.push({ file: SUMS_FILE, message: `${SUMS_FILE} is missing` });
  else {
    if (sha256Hex(sums) !== sig.sha256sums_sha256) problems.push({ file: SUMS_FILE, message: `${SUMS_FILE} differs from the signed one` });
    const listed = new Set<string>([SUMS_FILE, SIGNATURE_FILE]);
    for (const line of sums.toString('utf8').split('\n').filter(Boolean)) {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (!m) {
        problems.push({
          file: SUMS_FILE,
          message: `${SUMS_FILE} has a line that is not '<sha256>  <name>': ${JSON.stringify(line.slice(0, 80))}`,
        });
        continue;
      }
      const [, expected, name] = m as unknown as [string, string, string];
      listed.add(name);
      const body = await options.read(name);
      checked += 1;
      if (!body) problems.push({ file: name, message: `${name} is missing` });
      else if (sha256Hex(body) !== expected)
        problems.push({ file: name, message: `${name} differs: SHA-256 ${sha256Hex(body)}, ${SUMS_FILE} says ${expected}` });
    }
    for (const name of options.names)
      if (!listed.has(name)) problems.push({ file: name, message: `${name} is not part of the signed pack` });
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.message < b.message ? -1 : 1));
  return { ok: problems.length === 0, problems, checked, signature: sig };
}
