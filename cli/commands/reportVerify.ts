/** `audit-archive report verify <pack>`: checks a pack's signature and every file's SHA-256. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { kmsVerifier } from '../../lambdas/adapters/aws/KmsSigner.ts';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { SignatureVerifier } from '../../lambdas/core/ports.ts';
import { type PackProblem, verifyPack } from '../../lambdas/core/reports/packSigning.ts';

export interface ReportVerifyOptions {
  readonly pack: string;
  readonly publicKey?: string;
  readonly kmsKeyId?: string;
}

export async function runReportVerify(
  options: ReportVerifyOptions,
): Promise<{ ok: boolean; text: string; problems: PackProblem[]; files: ReadonlyMap<string, Buffer | undefined> }> {
  let verifier: SignatureVerifier;
  if (options.publicKey) {
    const pem = await fs.readFile(options.publicKey).catch(() => {
      throw new ConfigurationError(`--public-key: cannot read '${options.publicKey}'`);
    });
    verifier = PublicKeyVerifier.fromPem(pem);
  } else if (options.kmsKeyId) {
    verifier = await kmsVerifier(new KMSClient({}), options.kmsKeyId);
  } else {
    throw new ConfigurationError(
      'report verify needs the report-signing public key: --public-key <pem> (from your records) or --kms-key-id <id>; a key found inside the pack proves nothing',
    );
  }
  const stat = await fs.stat(options.pack).catch(() => undefined);
  if (!stat?.isDirectory()) throw new ConfigurationError(`report verify: '${options.pack}' is not a folder (give the folder of the pack)`);
  const names = (await fs.readdir(options.pack)).sort();
  // Each file read once and kept: whoever uses the pack after the check (report reperform) reads these
  // very bytes, not the folder again (where a file could have been swapped since).
  const files = new Map<string, Buffer | undefined>();
  const read = async (name: string) => {
    if (!files.has(name)) files.set(name, await fs.readFile(path.join(options.pack, name)).catch(() => undefined));
    return files.get(name);
  };
  const result = await verifyPack({ names, read, verifier });
  const lines = result.ok
    ? [`OK: the pack in ${options.pack} is signed by key ${verifier.fingerprint} and all ${result.checked} files match their SHA-256`]
    : [
        `FAILED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${options.pack}`,
        ...result.problems.map((p) => `  ${p.file}: ${p.message}`),
      ];
  return { ok: result.ok, text: lines.join('\n'), problems: result.problems, files };
}
