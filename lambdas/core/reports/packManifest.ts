/**
 * The parts of a pack's `manifest.json` that checking and re-performing it rely on, read
 * strictly enough that a tampered manifest cannot point outside the pack (file names are plain
 * names) and loosely enough that fields added later do not break old packs.
 */
import { z } from 'zod';
import { ConfigurationError } from '../errors.ts';

export const REPORT_FORMAT = 'intercom-audit-archive/report-pack/v1';
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const packManifestSchema = z
  .object({
    format: z.literal(REPORT_FORMAT),
    quarter: z.string(),
    engine: z.string().min(1),
    archive: z
      .object({
        manifest_heads: z.array(
          z.object({ workspaceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), seq: z.number().int().min(0), sha256: hex64 }).passthrough(),
        ),
        trust: z.enum(['signatures', 'hash chain only']).optional(),
      })
      .passthrough(),
    options: z.object({ bom: z.boolean().optional() }).passthrough().optional(),
    queries: z.array(
      z
        .object({
          name: z.string(),
          file: z.string().regex(/^[A-Za-z0-9_.-]+\.csv$/, 'a plain .csv file name inside the pack'),
          sha256: hex64,
          sql: z.string().min(1),
          parameters: z.array(z.object({ name: z.string(), value: z.string() })),
        })
        .passthrough(),
    ),
  })
  .passthrough();
export type PackManifest = z.infer<typeof packManifestSchema>;

/** Parses `manifest.json`, naming the first field that is not what a pack writes. */
export function parsePackManifest(body: Buffer, where: string): PackManifest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ConfigurationError(`${where} is not JSON: give the folder of a report pack`);
  }
  const parsed = packManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`${where} is not a report pack manifest (${issue.path.join('.') || '(top)'}: ${issue.message})`);
  }
  return parsed.data;
}

/** `duckdb` or `athena`: the engine kind a pack was built with (byte-for-byte comparisons need the same kind). */
export function engineKind(engine: string): string {
  return engine.split(/[\s:]/)[0]!.toLowerCase();
}
