/**
 * The teammate roster: the simulator's GET /admins agrees with its activity, the client reads
 * it, and the collector saves it once a day (signed like every manifest) or warns once when
 * the token may not read admins.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../../../../lambdas/adapters/local/Ed25519Signer.ts';
import { findHead } from '../../../../lambdas/core/archive/chain.ts';
import { IntercomForbiddenError } from '../../../../lambdas/core/errors.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, runCollector, simClient } from '../../../helpers/collecting.ts';

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const AT = Date.UTC(2025, 5, 1, 12) / 1000;

describe('GET /admins on the simulator', () => {
  it('lists the teammates who have access at its clock: everyone who acted that day, nobody who left', async () => {
    sim = await startSimulator({ now: () => AT });
    const admins = (await simClient(sim).listAdmins()) as { id: string; email: string; type: string }[];
    const ids = new Set(admins.map((a) => a.id));
    expect(admins.every((a) => a.type === 'admin')).toBe(true);
    for (const e of sim.workspace.entriesBetween(AT - DAY, AT))
      if (e.activity_type !== 'admin_deletion') expect(ids.has(e.performed_by.id), e.performed_by.email).toBe(true);
    const left = sim.workspace.teammates.filter((t) => t.leftAt !== undefined && t.leftAt <= AT);
    expect(left.length).toBeGreaterThan(0);
    for (const t of left) expect(ids.has(t.id)).toBe(false);
    const notYet = sim.workspace.teammates.filter((t) => t.joinedAt > AT);
    expect(notYet.length).toBeGreaterThan(0);
    for (const t of notYet) expect(ids.has(t.id)).toBe(false);
  });

  it('answers 403 with the no-admins switch, which the client reports as a forbidden call', async () => {
    sim = await startSimulator({ now: () => AT, faults: { noAdmins: true } });
    await expect(simClient(sim).listAdmins()).rejects.toThrow(IntercomForbiddenError);
  });
});

describe('collect() and the daily roster', () => {
  it('saves one signed roster a day once caught up, none while backfilling, and the chain verifies with the key', async () => {
    sim = await startSimulator({ now: () => AT + 3600 });
    const keyDir = mkdtempSync(path.join(os.tmpdir(), 'roster-keys-'));
    try {
      const { signer, verifier } = Ed25519Signer.forArchive(path.join(os.tmpdir(), 'roster-archive'), keyDir);
      const store = new MemoryObjectStore();
      const backfill = await runCollector(sim, store, {
        since: AT - 10 * DAY,
        until: AT - 5 * DAY,
        signer,
        now: () => new Date(AT * 1000),
      });
      expect(backfill.rosterTeammates).toBeUndefined(); // five days behind now: a snapshot would describe today, not that history
      const caughtUp = await runCollector(sim, store, { until: AT, signer, now: () => new Date(AT * 1000) });
      const admins = await simClient(sim).listAdmins();
      expect(caughtUp.rosterTeammates).toBe(admins.length);
      const head = await findHead(store, sim.workspace.workspaceId);
      expect(head!.manifest).toMatchObject({
        kind: 'roster',
        from: AT,
        to: AT,
        checkpoint: AT,
        roster: { key: 'rosters/workspace=sim-acme/dt=2025-06-01/roster.jsonl.gz', teammates: admins.length, dt: '2025-06-01' },
      });
      const again = await runCollector(sim, store, { until: AT, signer, now: () => new Date(AT * 1000 + 3_600_000) });
      expect(again.rosterTeammates).toBeUndefined();
      expect((await findHead(store, sim.workspace.workspaceId))!.manifest.seq).toBe(head!.manifest.seq + (again.lateManifests ?? 0));
      const verified = await verifyArchive(store, { verifier });
      expect(verified.problems).toEqual([]);
      expect(verified.signaturesChecked).toBe(head!.manifest.seq + 1 + again.lateManifests);
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('warns once per run and still collects when the token may not read admins', async () => {
    sim = await startSimulator({ now: () => AT + 3600, faults: { noAdmins: true } });
    const warnings: string[] = [];
    const result = await runCollector(sim, new MemoryObjectStore(), {
      since: AT - DAY,
      until: AT,
      now: () => new Date(AT * 1000),
      observer: { onWarning: (m) => warnings.push(m) },
    });
    expect(result.windows).toBeGreaterThan(0);
    expect(result.rosterTeammates).toBeUndefined();
    expect(warnings).toEqual([
      'Intercom refused GET /admins (HTTP 403 token_unauthorized): the token lacks the "Read admins" permission, so no teammate roster was saved today. Access reviews fall back to the archive\'s history; grant the app that permission to list dormant accounts.',
    ]);
  });
});
