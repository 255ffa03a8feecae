/**
 * The S3 verify bench's archive as one file, built once in its own process: the verify process
 * then holds the archive as one buffer (each object a view of it), so its peak RSS is the
 * archive's bytes and verify's own state, not the garbage of building 100,000 signed windows.
 *
 * Layout: a JSON header line (public key PEM, object count), then per object a 4-byte key length,
 * the key, a 4-byte body length, the body.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PublicKeyVerifier } from '../lambdas/core/signing/PublicKeyVerifier.ts';
import type { BenchArchive } from './s3Archive.ts';

export async function writeArchiveFile(file: string, archive: BenchArchive, publicKeyPem: string): Promise<void> {
  const chunks: Buffer[] = [Buffer.from(`${JSON.stringify({ publicKeyPem, objects: archive.objects.size })}\n`)];
  for (const [key, body] of archive.objects) {
    const k = Buffer.from(key);
    const lengths = Buffer.alloc(4);
    lengths.writeUInt32BE(k.length);
    const bodyLength = Buffer.alloc(4);
    bodyLength.writeUInt32BE(body.length);
    chunks.push(lengths, k, bodyLength, body);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, Buffer.concat(chunks));
  await rename(`${file}.tmp`, file);
}

export function archiveFileExists(file: string): boolean {
  return existsSync(file);
}

export async function readArchiveFile(file: string): Promise<BenchArchive> {
  const all = await readFile(file);
  const eol = all.indexOf(10);
  const header = JSON.parse(all.subarray(0, eol).toString('utf8')) as { publicKeyPem: string; objects: number };
  const objects = new Map<string, Buffer>();
  let at = eol + 1;
  for (let i = 0; i < header.objects; i++) {
    const keyLength = all.readUInt32BE(at);
    const key = all.toString('utf8', at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    const bodyLength = all.readUInt32BE(at);
    objects.set(key, all.subarray(at + 4, at + 4 + bodyLength));
    at += 4 + bodyLength;
  }
  return { objects, verifier: PublicKeyVerifier.fromPem(header.publicKeyPem), workspaceId: 'bench-ws' };
}
