import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDeployConfig } from '../../../infra/config.ts';
import { ConfigurationError } from '../../../lambdas/core/errors.ts';
import { parseRules } from '../../../lambdas/core/rules/ruleset.ts';
import { dottedPath, environmentVariablePath, validate } from '../../../lambdas/core/validation.ts';
import { parseCollectorEnv } from '../../../lambdas/handlers/collectorConfig.ts';
import { parseReporterEnv } from '../../../lambdas/handlers/reporter.ts';
import { parseFaults } from '../../../simulator/faults.ts';

const problems = (result: ReturnType<typeof validate>) => (result.success ? [] : result.problems);

describe('validate()', () => {
  const schema = z.strictObject({
    workspaces: z.array(z.strictObject({ id: z.string().regex(/^[a-z]+$/, 'lowercase letters'), region: z.enum(['us', 'eu']) })).min(1),
    years: z.number().int().min(1).max(100),
    email: z.string().email().optional(),
    shape: z.union([z.strictObject({ a: z.number() }), z.strictObject({ b: z.strictObject({ depth: z.number().max(3) }) })]).optional(),
  });

  it('names the full path of every problem and says what is accepted', () => {
    const result = validate(
      schema,
      {
        workspaces: [
          { id: 'ok', region: 'us' },
          { id: 'BAD', region: 'mars' },
        ],
        years: 0,
        email: 'nope',
        extra: 1,
      },
      (p) => dottedPath(p, 'ctx'),
    );
    expect(problems(result)).toEqual([
      'ctx.workspaces[1].id: lowercase letters',
      "ctx.workspaces[1].region: must be one of 'us', 'eu'",
      'ctx.years: must be at least 1',
      'ctx.email: must be an e-mail address',
      'ctx: unknown key(s) extra (check the spelling or remove them)',
    ]);
  });

  it('says "is required" for a missing value and names the expected type otherwise', () => {
    expect(problems(validate(schema, { workspaces: 'x' }))).toEqual(['workspaces: must be an array (got a string)', 'years: is required']);
  });

  it('reports the problem inside the one union shape the input meant, with its full path', () => {
    const result = validate(schema, { workspaces: [{ id: 'a', region: 'us' }], years: 1, shape: { b: { depth: 9 } } });
    expect(problems(result)).toEqual(['shape.b.depth: must be at most 3']);
    expect(problems(validate(schema, { workspaces: [{ id: 'a', region: 'us' }], years: 1, shape: { c: 1 } }))).toEqual([
      'shape: matches none of the accepted forms',
    ]);
  });

  it('never repeats the rejected value', () => {
    const secret = 'tok_live_0123456789abcdef';
    const text = problems(
      validate(schema, { workspaces: [{ id: secret, region: secret }], years: secret, email: secret, shape: secret }),
    ).join('\n');
    expect(text).toContain('workspaces[0].id');
    expect(text).not.toContain('tok_live');
  });

  it('renders the environment notation of the handlers', () => {
    expect(environmentVariablePath(['WORKSPACES', 0, 'region'])).toBe('environment variable WORKSPACES (0.region)');
    expect(environmentVariablePath(['ARCHIVE_BUCKET'])).toBe('environment variable ARCHIVE_BUCKET');
  });
});

describe('one formatter for every configuration surface', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'the collector environment',
      () => parseCollectorEnv({ ARCHIVE_BUCKET: 'bucket', WORKSPACES: '[{"id":"w","region":"mars","secretId":"s"}]' }),
      /environment variable WORKSPACES \(0\.region\): must be one of 'us', 'eu', 'au'/,
    ],
    [
      'the reporter environment (full path, not only the variable)',
      () =>
        parseReporterEnv({
          ARCHIVE_BUCKET: 'bucket',
          WORKSPACE_IDS: 'ok,not ok',
          ATHENA_WORKGROUP: 'wg',
          ATHENA_DATABASE: 'db',
          TOPIC_ARN: 'arn:x',
          REPORT_LANG: 'fr',
        }),
      /environment variable WORKSPACE_IDS \(1\): comma-separated Intercom workspace ids.*environment variable REPORT_LANG: must be one of 'en', 'ja'/,
    ],
    [
      'the deploy context',
      () => parseDeployConfig({ workspaces: [{ id: 'a', region: 'us' }], transition: { afterDays: 1, storageClass: 'GLACIER_IR' } }),
      /auditArchive\.transition\.afterDays: must be at least 30/,
    ],
    [
      'a rules file (CLI and collector)',
      () =>
        parseRules(
          'version: 1\nrules:\n  - { name: r1, severity: low, when: [ { burst: { group: data_exports, more_than: 0, hours: 1 } } ] }\n',
          'r.yaml',
        ),
      /rule 'r1' field when\.0\.burst\.more_than: must be at least 1/,
    ],
    [
      'the --faults flag (CLI)',
      () => parseFaults('429=2,latency=-1'),
      /--faults: burst429: must be at most 0\.95; latencyMs: must be at least 0/,
    ],
  ])('%s', (_surface, parse, message) => {
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow(message);
  });
});
