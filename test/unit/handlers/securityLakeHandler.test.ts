import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ed25519Signer } from '../../../lambdas/adapters/local/Ed25519Signer.ts';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { S3OcsfDestination } from '../../../lambdas/adapters/aws/S3OcsfDestination.ts';
import type { OcsfDestination } from '../../../lambdas/core/ocsf/exportOcsf.ts';
import { createSecurityLakeHandler, previousDay, providerRoles } from '../../../lambdas/handlers/securityLake.ts';
import { parseSecurityLakeEnv } from '../../../lambdas/handlers/securityLakeConfig.ts';
import { type RunningSimulator, startSimulator } from '../../../simulator/server.ts';
import { archivedLines } from '../../helpers/archive.ts';
import { DAY, T0, runCollector } from '../../helpers/collecting.ts';
import { fakeS3 } from '../../helpers/fakeS3.ts';

let sim: RunningSimulator;
let tmp: string;
beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sl-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});

const env = {
  ARCHIVE_BUCKET: 'archive-bucket',
  SIGNING_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
  SECURITY_LAKE_BUCKET: 'aws-security-data-lake-eu-west-1-xyz',
  SECURITY_LAKE_REGION: 'eu-west-1',
  SECURITY_LAKE_ACCOUNT_ID: '123456789012',
  SECURITY_LAKE_SOURCES: JSON.stringify({ authentication: 'intercomAuth', entity_management: 'intercomEntity' }),
  SECURITY_LAKE_PROVIDER_ROLE_ARN: 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-intercomAuth-eu-west-1',
  SECURITY_LAKE_EXTERNAL_ID: 'ext-id',
};

describe('Security Lake export job', () => {
  it("writes the previous day's chain-listed entries as OCSF Parquet under each source's location, and never writes into the archive", async () => {
    const s3 = fakeS3();
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    const keys = Ed25519Signer.forArchive(path.join(tmp, 'a'), path.join(tmp, 'keys'));
    await runCollector(sim, store, { since: T0, until: T0 + 3 * DAY, signer: keys.signer });
    const putsBefore = s3.mock.commandCalls(PutObjectCommand).length;
    const written = new Map<string, Buffer>();
    const destination: OcsfDestination = { location: 'memory://lake', write: async (key, body) => void written.set(key, body) };
    const logger = new Logger({ serviceName: 'test' });
    const logged: string[] = [];
    vi.spyOn(logger, 'info').mockImplementation((...args: unknown[]) => void logged.push(JSON.stringify(args)));
    const handler = createSecurityLakeHandler({
      config: parseSecurityLakeEnv(env),
      archiveS3: s3.client,
      verifier: async () => keys.verifier,
      destination,
      logger,
      now: () => new Date((T0 + DAY + 3600) * 1000),
      tmpDir: tmp,
    });

    const result = await handler(undefined);
    const day = new Date(T0 * 1000).toISOString().slice(0, 10);
    expect(result.day).toBe(day);
    const expected = (await archivedLines(store)).filter((l) => new Date(Number(l.created_at) * 1000).toISOString().slice(0, 10) === day);
    expect(result.events).toBe(expected.length);
    expect(written.size).toBe(result.objects.length);
    for (const key of written.keys()) {
      expect(key).toMatch(
        new RegExp(
          `^ext/(intercomAuth|intercom_account|intercomEntity|intercom_access|intercom_webres)/region=eu-west-1/accountId=123456789012/eventDay=${day.replace(/-/g, '')}/sim-acme-.*\\.parquet$`,
        ),
      );
      expect(written.get(key)!.subarray(0, 4).toString()).toBe('PAR1');
    }
    expect(s3.mock.commandCalls(PutObjectCommand).length).toBe(putsBefore);
    expect(logged.join('\n')).not.toContain('performed_by_email');
  });

  it("maps each custom source to its class's provider role", () => {
    const roles = providerRoles(
      parseSecurityLakeEnv({
        ...env,
        SECURITY_LAKE_PROVIDER_ROLE_ARNS: JSON.stringify({
          entity_management: 'arn:aws:iam::123456789012:role/entity',
          user_access: 'arn:aws:iam::123456789012:role/access',
        }),
      }),
    );
    expect([...roles]).toEqual([
      ['intercomEntity', 'arn:aws:iam::123456789012:role/entity'],
      ['intercom_access', 'arn:aws:iam::123456789012:role/access'],
    ]);
  });

  it('computes the previous UTC day', () => {
    expect(previousDay(new Date('2026-03-01T00:30:00Z'))).toBe('2026-02-28');
  });

  it('rejects a bad day and a bad configuration naming what is wrong', async () => {
    expect(() => parseSecurityLakeEnv({ ...env, SECURITY_LAKE_ACCOUNT_ID: '12' })).toThrow(
      /SECURITY_LAKE_ACCOUNT_ID: a 12-digit AWS account id/,
    );
    const s3 = fakeS3();
    const handler = createSecurityLakeHandler({
      config: parseSecurityLakeEnv(env),
      archiveS3: s3.client,
      verifier: async () => Ed25519Signer.forArchive(path.join(tmp, 'b'), path.join(tmp, 'keys')).verifier,
      destination: { location: 'x', write: async () => undefined },
      logger: new Logger({ serviceName: 't' }),
    });
    await expect(handler({ day: '2026-1-1' })).rejects.toThrow(/event.day: '2026-1-1' is not a date/);
  });
});

describe('S3OcsfDestination', () => {
  it('puts create-only with a SHA-256 checksum, and takes an existing object (412) as already exported', async () => {
    const mock = mockClient(S3Client);
    mock
      .on(PutObjectCommand)
      .rejectsOnce(
        new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'exists' }),
      )
      .resolves({});
    const client = new S3Client({ region: 'eu-west-1' });
    const asked: string[] = [];
    const destination = new S3OcsfDestination((source) => {
      asked.push(source);
      return client;
    }, 'lake');
    await destination.write('ext/a/region=eu-west-1/accountId=1/eventDay=20260101/x.parquet', Buffer.from('PAR1'));
    await destination.write('ext/a/region=eu-west-1/accountId=1/eventDay=20260101/y.parquet', Buffer.from('PAR1'));
    const input = mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ Bucket: 'lake', IfNoneMatch: '*', ChecksumSHA256: expect.any(String) });
    expect(asked).toEqual(['a', 'a']);
    mock
      .on(PutObjectCommand)
      .rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'denied' }));
    await expect(destination.write('k', Buffer.from('x'))).rejects.toThrow(/denied/);
    mock.restore();
  });
});
