/** `audit-archive trace <id>` and `trace verify <proof>`: one entry's chain of custody, checked offline. */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { proofSchema, traceEntry, verifyProof } from '../../lambdas/core/trace/trace.ts';
import { openArchive } from '../archiveLocation.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';

async function readKey(file: string): Promise<Buffer> {
  return fs.readFile(file).catch(() => {
    throw new ConfigurationError(`--public-key: cannot read '${file}'`);
  });
}

export function registerTrace(program: Command, setExit: (code: number) => void): void {
  program
    .command('trace')
    .description("print one archived entry's chain of custody (part, manifest, signature) and write a self-contained proof")
    .argument('<entry-id>', 'the Intercom activity id')
    // Not requiredOption: commander would demand it of `trace verify` too.
    .option('--archive <dir|s3://bucket/prefix>', 'the archive (required)')
    .option('--out <proof.json>', 'write the proof there (create-only)')
    .action(async (entryId: string, opts: { archive?: string; out?: string }) => {
      if (opts.archive === undefined) throw new ConfigurationError("required option '--archive <dir|s3://bucket/prefix>' not specified");
      const archive = opts.archive;
      const store = await openArchive(archive, { allowS3: true });
      // The proof carries the local archive's public key for convenience; checking it needs your own copy.
      const pem = archive.startsWith('s3://') ? null : await existingPem(store, archive);
      const proof = await traceEntry(store, entryId, await listWorkspaces(store), pem);
      if (!proof) throw new ConfigurationError(`entry ${entryId} is in no part that a manifest of ${archive} lists`);
      const sig = proof.signature;
      const key = pem ? PublicKeyVerifier.fromPem(pem) : undefined;
      process.stdout.write(
        [
          `entry ${proof.entry_id} (workspace ${proof.workspace_id})`,
          `  part      ${proof.part.key}  sha256 ${proof.part.sha256}  (${proof.part.bytes} bytes)`,
          `  manifest  ${proof.manifest.key}  seq ${proof.manifest.seq} ${proof.manifest.kind} [${proof.manifest.from_iso}, ${proof.manifest.to_iso})  sha256 ${proof.manifest.sha256}`,
          sig
            ? `  signature ${sig.algorithm} by ${sig.key_id}${key ? `  key fingerprint ${key.fingerprint}` : ''}  signed ${sig.signed_at}`
            : '  signature NONE: the manifest is unsigned',
          `  ${proof.note}`,
          '',
        ].join('\n'),
      );
      if (opts.out) {
        await fs
          .writeFile(opts.out, `${JSON.stringify(proof, null, 2)}\n`, { flag: 'wx', mode: 0o444 })
          .catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'EEXIST') throw new ConfigurationError(`--out: ${opts.out} already exists; a proof is never overwritten`);
            throw error;
          });
        process.stdout.write(`proof: ${opts.out}\n`);
      }
      setExit(0);
    })
    .command('verify')
    .description('check a trace proof offline: the part holds the entry, the manifest lists the part, the signature covers the manifest')
    .argument('<proof>', 'proof.json written by trace --out')
    .requiredOption('--public-key <pem>', 'the manifest-signing public key from your compliance records (never the one inside the proof)')
    .action(async (file: string, opts: { publicKey: string }) => {
      const text = await fs.readFile(file, 'utf8').catch(() => {
        throw new ConfigurationError(`trace verify: cannot read '${file}'`);
      });
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ConfigurationError(`trace verify: '${file}' is not JSON`);
      }
      const parsed = proofSchema.safeParse(json);
      if (!parsed.success)
        throw new ConfigurationError(
          `trace verify: '${file}' is not a trace proof (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
        );
      const verifier = PublicKeyVerifier.fromPem(await readKey(opts.publicKey));
      const result = await verifyProof(parsed.data, verifier);
      process.stdout.write(
        result.ok
          ? `OK: entry ${parsed.data.entry_id} is in ${parsed.data.part.key}, listed by manifest ${parsed.data.manifest.seq}, signed by key ${verifier.fingerprint}\n`
          : `FAILED:\n${result.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
      setExit(result.ok ? 0 : 1);
    });
}

async function existingPem(store: ObjectStore, archive: string): Promise<string | null> {
  const existing = await collectorKeyVerifier(store, archive);
  return existing ? fs.readFile(existing.publicKeyPath, 'utf8') : null;
}
