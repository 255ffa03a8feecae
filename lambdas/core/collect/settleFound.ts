/**
 * After a window's pages: a found part is listed only when Intercom confirmed every line of it;
 * otherwise it is rejected, and the entries it confirmed are written again, by this run, into a
 * new part — so what is listed is only ever what this run saw served.
 */
import { iso, type RejectedPart } from '../archive/manifest.ts';
import type { PartRecord } from '../archive/PartWriter.ts';
import type { ActivityLog, QuarantinedEntry } from '../intercom/schema.ts';
import type { FoundPart } from './foundParts.ts';
import { quarantineKeyOf } from './entrySha.ts';
import type { WindowFill } from './WindowFiller.ts';

export interface Settled {
  readonly listed: PartRecord[];
  readonly listedQuarantine: PartRecord[];
  readonly rejected: RejectedPart[];
  readonly rejectedParts: ReadonlySet<FoundPart>;
}

export function settleFoundParts(fill: WindowFill): Settled {
  const { counters } = fill.ctx;
  const listed: PartRecord[] = [];
  const listedQuarantine: PartRecord[] = [];
  const rejected: RejectedPart[] = [];
  const rejectedParts = new Set<FoundPart>();
  for (const found of fill.adopted.found) {
    const unconfirmed = found.record.records - found.confirmed;
    if (unconfirmed === 0 && found.unconfirmable === 0) {
      (found.quarantine ? listedQuarantine : listed).push(found.record);
      counters.partsAdopted += 1;
      continue;
    }
    rejectedParts.add(found);
    counters.partsRejected += 1;
    rejected.push({
      key: found.record.key,
      sha256: found.record.sha256,
      lines: found.record.records,
      confirmed: found.confirmed,
      unconfirmed,
      reason: `found unlisted at ${fill.late ? 'the lookback' : 'the window'} start ${iso(fill.from)}; ${unconfirmed} of its ${found.record.records} lines were not served again by Intercom for [${iso(fill.from)}, ${iso(fill.to)}) with identical content`,
    });
  }
  return { listed, listedQuarantine, rejected, rejectedParts };
}

/** Writes again, into this window's own parts, every entry a rejected part held that Intercom served this run. */
export async function rewriteConfirmed(fill: WindowFill, rejectedParts: ReadonlySet<FoundPart>): Promise<void> {
  const { counters, settings } = fill.ctx;
  const ingestedAt = settings.now().toISOString();
  for (const [key, candidate] of fill.adopted.candidates) {
    if (!candidate.served || !rejectedParts.has(candidate.part)) continue;
    if (!key.startsWith('e:')) {
      await fill.quarantineEntry(candidate.served as QuarantinedEntry, key.slice(2), ingestedAt);
      counters.quarantined += 1;
      continue;
    }
    const entry = candidate.served as ActivityLog;
    const reason = await fill.writeEntry(entry, candidate.sha, ingestedAt);
    if (reason === undefined) {
      counters.kept(1, fill.late);
      continue;
    }
    const poisoned = { raw: entry, reason, id: entry.id, createdAt: entry.created_at };
    await fill.quarantineEntry(poisoned, quarantineKeyOf(poisoned), ingestedAt);
    counters.quarantined += 1;
  }
}
