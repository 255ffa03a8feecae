/** Builds the S3 verify bench's archive into a file (once per size): `tsx bench/s3-archive-process.ts '{"windows":…,"busyEvery":…,"file":…}'`. */
import { generateKeyPairSync } from 'node:crypto';
import { buildBenchArchive } from './s3Archive.ts';
import { writeArchiveFile } from './s3ArchiveFile.ts';

const cfg = JSON.parse(process.argv[2]!) as { windows: number; busyEvery: number; file: string };
const t0 = performance.now();
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const archive = await buildBenchArchive(cfg.windows, cfg.busyEvery, privateKey);
await writeArchiveFile(cfg.file, archive, publicKey.export({ type: 'spki', format: 'pem' }).toString());
process.stdout.write(`${JSON.stringify({ objects: archive.objects.size, buildSeconds: (performance.now() - t0) / 1000 })}\n`);
