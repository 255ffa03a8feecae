/**
 * Alert rules: a YAML or JSON file versioned with the deployment, validated with zod; every
 * error names the rule and the field. A rule matches an entry when all its predicates hold.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from '../errors.ts';
import { ACTIVITY_GROUPS } from '../queries/groups.ts';
import { validate } from '../validation.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 08:00');

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone like Europe/London');

export const predicateSchema = z.union(
  [
    z.strictObject({ type_in_group: z.string().min(1) }),
    z.strictObject({
      outside_business_hours: z.strictObject({
        timezone,
        start: hhmm.default('08:00'),
        end: hhmm.default('18:00'),
        /** ISO weekdays that are working days (1 = Monday). */
        weekdays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
      }),
    }),
    z.strictObject({ new_ip: z.strictObject({ days: z.number().int().min(1).max(400).default(90) }) }),
    z.strictObject({
      invite_outside_domains: z.strictObject({
        allow: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'a domain like acme.com')).min(1),
      }),
    }),
    z.strictObject({ export_by_new_joiner: z.strictObject({ days: z.number().int().min(1).max(400).default(30) }) }),
    z.strictObject({
      burst: z.strictObject({
        group: z.string().min(1),
        more_than: z.number().int().min(1),
        hours: z
          .number()
          .min(0.01)
          .max(24 * 30),
      }),
    }),
  ],
  { error: 'not a known predicate (type_in_group, outside_business_hours, new_ip, invite_outside_domains, export_by_new_joiner, burst)' },
);
export type Predicate = z.infer<typeof predicateSchema>;

export const ruleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes'),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  when: z.array(predicateSchema).min(1, 'give at least one predicate'),
  /** Where matches go: the deployment's channels (AWS: sns, eventbridge; local: stdout, file). */
  notify: z.array(z.enum(['sns', 'eventbridge', 'stdout', 'file'])).default(['sns', 'eventbridge', 'stdout', 'file']),
});
export type Rule = z.infer<typeof ruleSchema>;

export const rulesFileSchema = z.strictObject({
  version: z.literal(1),
  /** Extra named groups of activity types, beside the built-in ones of the canned queries. */
  groups: z.record(z.string().regex(/^[a-z_]+$/), z.array(z.string().min(1)).min(1)).default({}),
  rules: z.array(ruleSchema).min(1),
});
export type RulesFile = z.infer<typeof rulesFileSchema>;

export interface RuleSet {
  readonly rules: Rule[];
  /** A Map, not an object: a group named `constructor` or `__proto__` can never resolve to an inherited property. */
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
  /** How much teammate history the rules need, seconds. */
  readonly horizonSeconds: number;
}

/** Parses and checks a rules file; one error listing every problem by rule and field. */
export function parseRules(text: string, source = 'rules file'): RuleSet {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigurationError(
      `${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`,
    );
  }
  const problems: string[] = [];
  const name = (i: unknown) => {
    const rules = (raw as { rules?: { name?: unknown }[] })?.rules;
    const n = typeof i === 'number' ? rules?.[i]?.name : undefined;
    return typeof n === 'string' ? `rule '${n}'` : `rules[${String(i)}]`;
  };
  // Before zod: a record key `__proto__` would set the parsed object's prototype.
  problems.push(...reservedNames(raw, name));
  if (problems.length) throw new ConfigurationError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  const parsed = validate(rulesFileSchema, raw, (path) => {
    const [head, index, ...rest] = path;
    return head === 'rules' && index !== undefined
      ? `${name(index)}${rest.length ? ` field ${rest.map(String).join('.')}` : ''}`
      : path.map(String).join('.') || '(file)';
  });
  if (!parsed.success) throw new ConfigurationError(`${source} is invalid:\n  ${parsed.problems.join('\n  ')}`);
  const file = parsed.data;
  const groups = new Map<string, ReadonlySet<string>>();
  for (const [g, types] of Object.entries(ACTIVITY_GROUPS)) groups.set(g, new Set(types));
  for (const [g, types] of Object.entries(file.groups)) groups.set(g, new Set(types));
  const names = new Set<string>();
  let horizon = 0;
  for (const rule of file.rules) {
    if (names.has(rule.name)) problems.push(`rule '${rule.name}': the name is used twice`);
    names.add(rule.name);
    rule.when.forEach((p, j) => {
      const group = 'type_in_group' in p ? p.type_in_group : 'burst' in p ? p.burst.group : undefined;
      if (group !== undefined && !groups.has(group))
        problems.push(`rule '${rule.name}' field when.${j}: unknown group '${group}' (known: ${[...groups.keys()].join(', ')})`);
      if ('new_ip' in p) horizon = Math.max(horizon, p.new_ip.days * 86_400);
      if ('export_by_new_joiner' in p) horizon = Math.max(horizon, p.export_by_new_joiner.days * 86_400);
      if ('burst' in p) horizon = Math.max(horizon, p.burst.hours * 3600);
    });
  }
  if (problems.length) throw new ConfigurationError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  return { rules: file.rules.filter((r) => r.enabled), groups, horizonSeconds: horizon };
}

/** Names every JavaScript object inherits (`constructor`, `toString`, `__proto__`, …) plus `prototype`. */
export function isReservedName(name: string): boolean {
  return name === 'prototype' || name in Object.prototype;
}

/** Group and rule names that are inherited property names, found by own-property walks of the raw file. */
function reservedNames(raw: unknown, ruleName: (i: number) => string): string[] {
  const problems: string[] = [];
  const why = (n: string) => `'${n}' is a reserved name (every JavaScript object inherits it); choose another name`;
  const own = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  const groups = own(raw, 'groups');
  if (groups !== null && typeof groups === 'object') {
    for (const key of Object.keys(groups)) if (isReservedName(key)) problems.push(`groups.${key}: ${why(key)}`);
  }
  const rules = own(raw, 'rules');
  if (!Array.isArray(rules)) return problems;
  rules.forEach((rule, i) => {
    const n = own(rule, 'name');
    if (typeof n === 'string' && isReservedName(n)) problems.push(`${ruleName(i)} field name: ${why(n)}`);
    const when = own(rule, 'when');
    if (!Array.isArray(when)) return;
    when.forEach((p, j) => {
      const inGroup = own(p, 'type_in_group');
      if (typeof inGroup === 'string' && isReservedName(inGroup))
        problems.push(`${ruleName(i)} field when.${j}.type_in_group: ${why(inGroup)}`);
      const burstGroup = own(own(p, 'burst'), 'group');
      if (typeof burstGroup === 'string' && isReservedName(burstGroup))
        problems.push(`${ruleName(i)} field when.${j}.burst.group: ${why(burstGroup)}`);
    });
  });
  return problems;
}
