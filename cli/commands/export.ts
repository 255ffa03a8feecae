/** `audit-archive export ocsf`: chain-listed parts of a local archive → OCSF in the Security Lake custom-source layout. */
import { promises as fs } from 'node:fs';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/local/DuckDbParquetEncoder.ts';
import { FolderOcsfDestination } from '../../lambdas/adapters/local/FolderOcsfDestination.ts';
import { assertWorkspaceId } from '../../lambdas/core/archive/keys.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { chainListedParts } from '../../lambdas/core/ocsf/chainListedParts.ts';
import { type ExportResult, type OcsfEncoder, exportOcsf, jsonlEncoder } from '../../lambdas/core/ocsf/exportOcsf.ts';
import type { ObjectStore, SignatureVerifier } from '../../lambdas/core/ports.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import { openArchive } from '../archiveLocation.ts';
import type { Output } from '../output.ts';

export interface ExportOcsfOptions {
  readonly archive: string;
  readonly from: string;
  readonly to: string;
  readonly out: string;
  readonly format: 'parquet' | 'jsonl';
  readonly region: string;
  readonly accountId: string;
  readonly publicKey?: string;
  readonly workspace?: string;
}

async function verifierFor(options: ExportOcsfOptions, store: ObjectStore): Promise<{ verifier: SignatureVerifier; source: string }> {
  if (options.publicKey) {
    const pem = await fs.readFile(options.publicKey).catch(() => {
      throw new ConfigurationError(`--public-key: cannot read '${options.publicKey}'`);
    });
    return { verifier: PublicKeyVerifier.fromPem(pem), source: `public key ${options.publicKey}` };
  }
  const existing = await collectorKeyVerifier(store, options.archive);
  if (!existing)
    throw new ConfigurationError(
      'no public key to check the chain heads with: give --public-key <file> (this machine has no key the collector created for this archive)',
    );
  return { verifier: existing.verifier, source: `the key the collector created for this archive (${existing.publicKeyPath})` };
}

export async function runExportOcsf(options: ExportOcsfOptions, output: Output): Promise<ExportResult> {
  if (options.from > options.to) throw new ConfigurationError(`--from ${options.from} is after --to ${options.to}`);
  if (options.workspace !== undefined) assertWorkspaceId(options.workspace);
  const store = await openArchive(options.archive, { allowS3: false });
  const { verifier, source } = await verifierFor(options, store);
  output.info(`checking chain heads with ${source} (fingerprint ${verifier.fingerprint})`);
  const parts = await chainListedParts(store, {
    fromDay: options.from,
    toDay: options.to,
    verifier,
    ...(options.workspace && { workspaceId: options.workspace }),
  });
  output.info(`${parts.length} chain-listed parts from ${options.from} to ${options.to}`);
  const parquet = options.format === 'parquet' ? await DuckDbParquetEncoder.open() : undefined;
  const encoder: OcsfEncoder = parquet ?? jsonlEncoder;
  try {
    return await exportOcsf(store, parts, {
      encoder,
      destination: new FolderOcsfDestination(options.out),
      layout: { region: options.region, accountId: options.accountId },
      onObject: (o) => output.info(`${o.key}: ${o.events} events`),
    });
  } finally {
    parquet?.close();
  }
}
