/**
 * The record manifest.json holds: what the pack is, what it was computed from (the heads the
 * signatures prove, the verification relied on), who generated it from which source system, the
 * options that shape its bytes, each query's SQL and parameters, and every file's SHA-256.
 */
import type { ArchiveScope, ScopeConflict, ScopeException } from '../archive/scope.ts';
import { formatReceipt } from '../signing/receipts.ts';
import type { Coverage } from './coverage.ts';
import type { Exceptions } from './exceptions.ts';
import { REPORT_FORMAT } from './packManifest.ts';
import type { ReportSigner } from './packSigning.ts';
import type { PeriodChain } from './periodChains.ts';
import type { Population } from './population.ts';
import { sourceSystem } from './reportPeriod.ts';
import type { ChainRosters } from './rosters.ts';
import type { AccessReviewBasis } from './summaryHtml.ts';

export interface PackHead {
  readonly workspaceId: string;
  readonly seq: number;
  readonly sha256: string;
  readonly checkpoint: string;
  readonly key: string;
}

export interface PackRecordInput {
  readonly quarter: string;
  readonly period: { start_date: string; end_date: string };
  readonly generatedAt: string;
  readonly engine: string;
  readonly lang: string;
  readonly timezone?: string;
  readonly location: string;
  readonly heads: readonly PackHead[];
  readonly scope: ArchiveScope;
  readonly days: { from: string; to: string };
  readonly notRead: { objects: ScopeException[]; conflicts: ScopeConflict[] };
  readonly chains: readonly PeriodChain[];
  readonly rosters: ChainRosters;
  readonly coverage: Coverage;
  readonly population: Population;
  readonly exceptions: Exceptions;
  readonly accessReview: AccessReviewBasis;
  readonly generator?: Record<string, unknown>;
  readonly reportSigner?: ReportSigner;
  readonly options: { bom: boolean; allowPartial: boolean };
  readonly xlsxCut: readonly string[];
  readonly queries: readonly Record<string, unknown>[];
  readonly files: readonly { name: string; sha256: string; bytes: number }[];
}

/** What the pack relied on instead of a full `verify`: how parts were trusted, the heads as receipts, and every problem seen. */
function verification(input: PackRecordInput) {
  const problems = [
    ...input.notRead.objects.map((o) => ({ kind: o.kind, key: o.key, reason: o.reason })),
    ...input.notRead.conflicts.map((c) => ({
      kind: 'conflict',
      key: c.archived_part,
      reason: `id ${c.id} served again with different content`,
    })),
    ...input.rosters.altered.map((r) => ({ kind: 'roster-altered', key: r.key, reason: r.reason })),
    ...input.scope.unsafeIndexes.map((i) => ({
      kind: 'index-unnamed',
      key: i.key,
      reason: `no manifest names it; it lists ${i.lists.length} part(s) the chain does not list`,
    })),
  ];
  return {
    parts:
      input.scope.trust === 'signatures'
        ? 'chain-listed; manifest signatures checked'
        : 'chain-listed; hash chain only (no signature checked)',
    head_receipts: input.heads.map(formatReceipt),
    problems,
    note: 'The pack reads only the parts the chains list up to these heads; audit-archive verify checks every hash and signature of the archive, and --expect-head with these receipts shows a later deletion.',
  };
}

export function packRecord(input: PackRecordInput): Record<string, unknown> {
  return {
    format: REPORT_FORMAT,
    quarter: input.quarter,
    period: { ...input.period, timezone: 'UTC', inclusive: true },
    generated_at: input.generatedAt,
    engine: input.engine,
    lang: input.lang,
    ...(input.timezone && { display_timezone: input.timezone }),
    archive: {
      location: input.location,
      manifest_heads: input.heads,
      trust: input.scope.trust,
      parts_read: input.scope.parts.filter((p) => p.dt !== null && p.dt >= input.days.from && p.dt <= input.days.to).length,
      // Every object of the read days (quarter and look-back) the chain does not list as data: never read.
      not_read: { read_period: input.days, objects: input.notRead.objects, conflicts: input.notRead.conflicts },
    },
    verification: verification(input),
    coverage: input.coverage,
    population: input.population,
    exceptions: input.exceptions,
    access_review: { method: input.accessReview.method, roster_snapshots: input.accessReview.snapshots },
    ...(input.generator && { generator: input.generator }),
    source_system: sourceSystem(input.chains),
    ...(input.reportSigner && {
      report_signing_key: {
        fingerprint: input.reportSigner.fingerprint,
        key_id: input.reportSigner.signer.keyId,
        algorithm: input.reportSigner.signer.algorithm,
      },
    }),
    options: {
      bom: input.options.bom,
      allow_partial: input.options.allowPartial,
      ...(input.timezone && { timezone: input.timezone }),
    },
    ...(input.xlsxCut.length > 0 && { xlsx: { cut_at_row_limit: input.xlsxCut } }),
    queries: input.queries,
    files: [...input.files],
  };
}
