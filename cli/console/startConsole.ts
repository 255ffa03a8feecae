/**
 * Opens an archive for the console and serves it on 127.0.0.1: the operator's key, the
 * chain-listed scope, DuckDB over the listed parts (or Athena), the report packs, the page.
 */
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { KMSClient } from '@aws-sdk/client-kms';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { kmsVerifier } from '../../lambdas/adapters/aws/KmsSigner.ts';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import type { ParquetPartCache } from '../../lambdas/adapters/local/ParquetPartCache.ts';
import { readManifest } from '../../lambdas/core/archive/chain.ts';
import { type ArchiveScope, archiveScope } from '../../lambdas/core/archive/scope.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { ObjectStore, QueryEngine } from '../../lambdas/core/ports.ts';
import { openArchive } from '../archiveLocation.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import { createConsoleApp } from './app.ts';
import { guarded } from './guard.ts';
import { ConsoleData } from './data.ts';
import { PackSource } from './packs.ts';
import { defaultPage, loadPage } from './page.ts';
import type { OperatorKey } from './proof.ts';
import { EngineSearch } from './search.ts';
import { ConsoleSession } from './session.ts';

export interface ConsoleOptions {
  readonly archive: string;
  readonly port: number;
  readonly athena?: { readonly workgroup: string; readonly database: string };
  readonly publicKey?: string;
  readonly kmsKeyId?: string;
  /** Local report packs folder; on S3 the packs under reports/ in the archive. */
  readonly reports?: string;
  readonly rules: string;
  /** The built page folder. @default dist/console-page */
  readonly pageDir?: string;
  /** The columnar cache (local archives): listed parts are read through their checked Parquet files. */
  readonly partCache?: ParquetPartCache;
}

export interface RunningConsole {
  /** The URL with the one-time token: print it, never log it. */
  readonly url: string;
  readonly port: number;
  /** The address it listens on: always 127.0.0.1. */
  readonly host: string;
  readonly keySource: string | undefined;
  readonly scope: ArchiveScope;
  close(): Promise<void>;
}

async function operatorKey(options: ConsoleOptions, store: ObjectStore): Promise<OperatorKey | undefined> {
  if (options.publicKey) {
    const pem = await fs.readFile(options.publicKey).catch(() => {
      throw new ConfigurationError(`--public-key: cannot read '${options.publicKey}'`);
    });
    return { verifier: PublicKeyVerifier.fromPem(pem), source: `--public-key ${options.publicKey}` };
  }
  if (options.kmsKeyId) return { verifier: await kmsVerifier(new KMSClient({}), options.kmsKeyId), source: `KMS key ${options.kmsKeyId}` };
  if (options.archive.startsWith('s3://')) return undefined;
  // As `verify` and `trace` do: the key this machine's collector made, found by the fingerprint the chain names.
  const existing = await collectorKeyVerifier(store, options.archive);
  return existing && { verifier: existing.verifier, source: `the collector's key on this machine (${existing.publicKeyPath})` };
}

async function openEngine(options: ConsoleOptions, scope: ArchiveScope): Promise<QueryEngine> {
  if (options.athena) return new AthenaEngine(new AthenaClient({}), options.athena);
  const days = scope.parts
    .map((p) => p.dt)
    .filter((d): d is string => d !== null)
    .sort();
  // Every listed day through the columnar cache (built where missing), or parsed once into a table without it.
  const cacheDays = days.length > 0 ? { from: days[0]!, to: days[days.length - 1]! } : undefined;
  return DuckDbEngine.open(options.archive, {
    parts: scope.parts.map((p) => ({ key: p.key, sha256: p.sha256 })),
    ...(cacheDays && { cacheDays }),
    ...(options.partCache && { partCache: options.partCache }),
  });
}

async function packSource(options: ConsoleOptions, store: ObjectStore): Promise<PackSource | undefined> {
  if (options.archive.startsWith('s3://')) return new PackSource(store, 'reports/');
  if (!options.reports) return undefined;
  const stat = await fs.stat(options.reports).catch(() => undefined);
  return stat?.isDirectory() ? new PackSource(new LocalObjectStore(path.resolve(options.reports)), '') : undefined;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  if (options.athena && !options.archive.startsWith('s3://'))
    throw new ConfigurationError('--archive: with --athena give the archive as s3://bucket[/prefix]');
  const page = options.pageDir ? loadPage(options.pageDir) : await defaultPage();
  const store = await openArchive(options.archive, { allowS3: true });
  const key = await operatorKey(options, store);
  const scope = await archiveScope(store, key ? { verifier: key.verifier } : {});
  const engine = await openEngine(options, scope);
  const search = new EngineSearch(engine);
  const packs = await packSource(options, store);
  const origins = await Promise.all(scope.heads.map(async (h) => (await readManifest(store, h.workspaceId, 0)).manifest.from));
  const data = new ConsoleData({
    location: options.archive,
    store,
    search,
    scope,
    ...(key && { key }),
    ...(options.publicKey && { publicKeyPath: options.publicKey }),
    ...(packs && { packs }),
    rulesFile: options.rules,
    ...(origins.length > 0 && { origin: Math.min(...origins) }),
  });
  const session = new ConsoleSession();
  let port = options.port;
  const app = createConsoleApp({ session, port: () => port, page, api: data });
  const server = createServer(guarded(() => port, getRequestListener(app.fetch)));
  await new Promise<void>((resolve, reject) => {
    server.listen(options.port, '127.0.0.1');
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigurationError(`--port: ${options.port} is in use; choose another or leave --port out`)
          : error,
      ),
    );
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  return {
    url: session.startUrl(port),
    port,
    host: address.address,
    keySource: key?.source,
    scope,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await search.close();
    },
  };
}
