import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArchiveLine } from '../../lambdas/core/archive/columns.ts';
import {
  OCSF_CLASSES,
  OCSF_FALLBACK,
  OCSF_MAPPING_VERSION,
  OCSF_TYPE_MAPPING,
  type OcsfEvent,
  ocsfMappingTable,
  toOcsfEvent,
} from '../../lambdas/core/ocsf/mapping.ts';
import { OCSF_ROOT, OcsfSchema } from '../helpers/ocsfSchema.ts';

const schema = new OcsfSchema();
const documentedTypes = readFileSync(path.join(OCSF_ROOT, '../../intercom/activity-types.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

function line(activityType: string, overrides: Partial<ArchiveLine> = {}): ArchiveLine {
  const entry = { id: `id-${activityType}`, activity_type: activityType, created_at: 1767225600 };
  return {
    id: `id-${activityType}`,
    workspace_id: 'sim-acme',
    created_at: 1767225600,
    activity_type: activityType,
    activity_description: `Ada did ${activityType}`,
    performed_by_type: 'admin',
    performed_by_id: '991267464',
    performed_by_email: 'ada@example.com',
    performed_by_ip: '203.0.113.7',
    metadata: JSON.stringify({ before: 'a', after: 'b', teammate: { id: 42, email: 'bob@example.com' } }),
    source: JSON.stringify(entry),
    late: false,
    run_id: 'run-1',
    collector_version: '0.1.0',
    api_host: 'api.intercom.io',
    api_version: '2.17',
    ingested_at: '2026-01-01T00:10:00Z',
    ...overrides,
  };
}

const provenance = { partKey: 'activity_logs/workspace=sim-acme/dt=2026-01-01/20260101T000000Z-part-00001.jsonl.gz', manifestSeq: 7 };

describe('the OCSF mapping', () => {
  it('covers each of the 114 documented activity types, and no other', () => {
    expect(documentedTypes).toHaveLength(114);
    expect(Object.keys(OCSF_TYPE_MAPPING).sort()).toEqual([...documentedTypes].sort());
  });

  it('is the table the README shows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const m = /<!-- ocsf-mapping-table -->\n([\s\S]*?)\n<!-- \/ocsf-mapping-table -->/.exec(readme);
    expect(m?.[1]).toBe(ocsfMappingTable());
  });

  it('maps sign-ins, lifecycle, permissions, configuration and exports to the classes the issue names', () => {
    const classOf = (t: string) => OCSF_CLASSES[OCSF_TYPE_MAPPING[t]!.class].uid;
    expect(classOf('admin_login_success')).toBe(3002);
    expect(classOf('admin_login_failure')).toBe(3002);
    expect(['admin_provisioned', 'admin_deletion', 'admin_two_factor_auth_change', 'app_admin_join'].map(classOf)).toEqual([
      3001, 3001, 3001, 3001,
    ]);
    expect(['admin_permission_change', 'role_change', 'seat_change'].map(classOf)).toEqual([3005, 3005, 3005]);
    expect(['macro_update', 'message_state_change', 'security_settings_change', 'app_name_change'].map(classOf)).toEqual([
      3004, 3004, 3004, 3004,
    ]);
    expect(['app_data_export', 'bulk_export', 'conversation_pdf_export', 'macro_usage_export'].map(classOf)).toEqual([
      6001, 6001, 6001, 6001,
    ]);
  });

  it.each([...documentedTypes, 'a_type_intercom_adds_next_year', 'constructor', '__proto__'])(
    'produces a valid OCSF 1.1.0 event for %s',
    (type) => {
      const event = toOcsfEvent(line(type), provenance);
      expect(schema.validate(event)).toEqual([]);
    },
  );

  it('sends unknown types to the documented fallback, keeping the raw entry', () => {
    const raw = JSON.stringify({ id: 'x', activity_type: 'brand_new_thing', created_at: 1767225600, extra: { nested: true } });
    const event = toOcsfEvent(line('brand_new_thing', { source: raw }), provenance);
    expect(event.class_uid).toBe(OCSF_CLASSES[OCSF_FALLBACK.class].uid);
    expect(event.activity_id).toBe(99);
    expect(event.activity_name).toBe('brand_new_thing');
    expect(event.raw_data).toBe(raw);
    expect(event.metadata.labels as string[]).toContain('unmapped-activity-type');
  });

  it('carries time, product, entry id, schema version, mapping version and the archive provenance', () => {
    const event = toOcsfEvent(line('app_name_change'), { ...provenance, manifestSha256: 'ab'.repeat(32) });
    expect(event.time).toBe(1767225600_000);
    expect(event.metadata).toMatchObject({
      version: '1.1.0',
      uid: 'id-app_name_change',
      product: { vendor_name: 'Intercom', version: '2.17' },
      log_name: provenance.partKey,
      tenant_uid: 'sim-acme',
    });
    expect(event.metadata.labels).toContain(OCSF_MAPPING_VERSION);
    expect((event.unmapped as Record<string, any>).archive).toMatchObject({
      part_key: provenance.partKey,
      manifest_seq: 7,
      manifest_sha256: 'ab'.repeat(32),
    });
  });

  it('puts the actor and source IP in class attributes, through the host profile, or under unmapped', () => {
    const auth = toOcsfEvent(line('admin_login_success'), provenance);
    expect(auth.actor).toEqual({ user: { uid: '991267464', email_addr: 'ada@example.com', type: 'admin' } });
    expect(auth.src_endpoint).toEqual({ ip: '203.0.113.7' });
    expect(auth.user).toEqual(auth.actor && (auth.actor as any).user);
    expect(auth.metadata.profiles).toBeUndefined();

    const entity = toOcsfEvent(line('macro_update'), provenance);
    expect(entity.metadata.profiles).toEqual(['host']);
    expect(entity.actor).toEqual({ user: { uid: '991267464', email_addr: 'ada@example.com', type: 'admin' } });
    expect(entity.src_endpoint).toBeUndefined();
    expect((entity.unmapped as Record<string, unknown>).src_ip).toBe('203.0.113.7');

    const access = toOcsfEvent(line('role_change'), provenance);
    expect(access.user).toEqual({ uid: '42', email_addr: 'bob@example.com' });
  });

  it('keeps values OCSF types reject under unmapped instead of emitting an invalid event', () => {
    const event = toOcsfEvent(
      line('admin_login_failure', { performed_by_email: 'not an email', performed_by_ip: '999.1.1.1', performed_by_id: null }),
      provenance,
    );
    expect(schema.validate(event)).toEqual([]);
    expect(event.status_id).toBe(2);
    expect(event.actor).toBeUndefined();
    expect(event.unmapped).toMatchObject({ performed_by_email: 'not an email', performed_by_ip: '999.1.1.1' });
    expect(event.user).toEqual({ name: 'unknown' });
  });

  it('is valid with no actor, no metadata and no description', () => {
    for (const type of ['admin_logout', 'seat_revoke', 'bulk_export', 'macro_creation', 'admin_deletion', 'never_seen']) {
      const event = toOcsfEvent(
        line(type, {
          performed_by_id: null,
          performed_by_email: null,
          performed_by_ip: null,
          performed_by_type: null,
          metadata: null,
          activity_description: null,
        }),
        provenance,
      );
      expect(schema.validate(event), type).toEqual([]);
    }
  });
});

describe('the OCSF schema validator', () => {
  const valid = (): OcsfEvent => toOcsfEvent(line('macro_update'), provenance);

  it('resolves extends, $include and profiles for each class the mapping uses', () => {
    for (const info of Object.values(OCSF_CLASSES)) {
      const c = schema.classByUid(info.uid);
      expect(c.categoryUid).toBe(info.categoryUid);
      expect(c.attributes.get('metadata')?.requirement).toBe('required'); // from base_event
      expect(c.attributes.get('time')?.requirement).toBe('required'); // from includes/occurrence.json
      expect(c.attributes.get('activity_id')?.requirement).toBe('required'); // from includes/classification.json
    }
    expect(schema.classByUid(3004).attributes.get('actor')?.profile).toBe('host');
    expect(schema.classByUid(3001).attributes.get('actor')?.profile).toBeNull();
    expect(schema.classByUid(3001).attributes.get('cloud')?.profile).toBe('cloud');
  });

  it.each([
    ['a missing required attribute', (e: any) => delete e.metadata.product, 'metadata.product: required'],
    ['a missing required class attribute', (e: any) => delete e.entity, 'entity: required'],
    ['an enum id the class does not define', (e: any) => (e.activity_id = 7), 'activity_id: 7 is not one of the enum ids'],
    ['a wrong type', (e: any) => (e.time = '2026-01-01'), 'time: "2026-01-01" is not an integer'],
    ['an attribute the class does not have', (e: any) => (e.src_endpoint = { ip: '1.2.3.4' }), 'src_endpoint: not an attribute here'],
    ['a profile attribute without its profile', (e: any) => delete e.metadata.profiles, 'actor: belongs to profile host'],
    ['a malformed IP', (e: any) => (e.device = { ip: 'nope', type_id: 0 }), "device.ip: 'nope' does not match ip_t"],
    ['a wrong type_uid', (e: any) => (e.type_uid = 1), 'type_uid: 1 is not class_uid * 100 + activity_id'],
    [
      'an object without its at_least_one',
      (e: any) => (e.actor = { user: { type: 'admin' } }),
      'actor.user.needs at least one of account, name, uid',
    ],
  ])('rejects %s', (_name, mutate, expected) => {
    const event = valid();
    mutate(event);
    expect(schema.validate(event).join('\n')).toContain(expected);
  });
});
