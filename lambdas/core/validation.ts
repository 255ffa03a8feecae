/**
 * The one way this project turns zod issues into words: every problem names its full path in
 * the caller's notation (`auditArchive.workspaces[0].region`, `environment variable WORKSPACES
 * (0.region)`, `rule 'r1' field when.0`) and says what is accepted. Used by the CLI (rules
 * files, `--faults`), both Lambda handlers (their environment) and the deploy context.
 *
 * Messages never echo the rejected value: a misplaced token or a personal detail in a config
 * value must not end up in a log or a terminal.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** `root.key[0].sub`: the notation of a JSON document such as the CDK context. */
export function dottedPath(path: Path, root = ''): string {
  const text = path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    root,
  );
  return text || '(top level)';
}

/** `environment variable NAME (rest.of.path)`: the notation of a Lambda's environment. */
export function environmentVariablePath(path: Path): string {
  const [name, ...rest] = path;
  return `environment variable ${String(name)}${rest.length ? ` (${rest.map(String).join('.')})` : ''}`;
}

const an = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);
const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'a list' : an(typeof value));
const list = (values: readonly unknown[]) => values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');

const UNITS: Record<string, [string, string]> = { string: ['character', 'characters'], array: ['item', 'items'], set: ['item', 'items'] };
function bound(origin: string, limit: number | bigint, inclusive: boolean | undefined, side: 'least' | 'most'): string {
  const unit = UNITS[origin];
  if (unit) return `must have at ${side} ${limit} ${limit === 1 || limit === 1n ? unit[0] : unit[1]}`;
  if (inclusive === false) return `must be ${side === 'least' ? 'greater' : 'less'} than ${limit}`;
  return `must be at ${side} ${limit}`;
}

/**
 * zod error map for issues whose schema gave no message of its own (a schema's own message
 * always wins): says what is accepted, never repeats the input.
 */
export const clearIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (Number.isNaN(issue.input)) return 'must be a number'; // coerced from text that is not one
      return `must be ${issue.expected === 'int' ? 'a whole number' : an(issue.expected)} (got ${kind(issue.input)})`;
    case 'too_small':
      return bound(issue.origin, issue.minimum, issue.inclusive, 'least');
    case 'too_big':
      return bound(issue.origin, issue.maximum, issue.inclusive, 'most');
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${list(issue.values)}` : `must be one of ${list(issue.values)}`;
    case 'invalid_format':
      if (issue.format === 'regex') return `does not have the expected form (${issue.pattern})`;
      if (issue.format === 'starts_with') return `must start with '${String(issue.prefix)}'`;
      return `must be ${an(issue.format === 'email' ? 'e-mail address' : issue.format === 'url' ? 'URL' : String(issue.format))}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.join(', ')} (check the spelling or remove them)`;
    case 'invalid_union':
      return 'matches none of the accepted forms';
    case 'invalid_key':
      return 'has a key that is not accepted';
    case 'invalid_element':
      return 'has an entry that is not accepted';
    default:
      return undefined;
  }
};

/**
 * A union of object shapes (`{ a: … } | { b: … }`) fails as a whole; when exactly one shape
 * has the keys the input used, its own problems are the useful ones (the full path to the bad
 * field), not "matches none".
 */
function unfold(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const meant = issue.errors.filter(
    (branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'unrecognized_keys' || i.code === 'invalid_type')),
  );
  if (meant.length !== 1) return [issue];
  return meant[0]!.flatMap((inner) => unfold({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** One line per problem: `<where>: <message>`, in the order zod found them. */
export function describeIssues(issues: readonly Issue[], where: (path: Path) => string = (path) => dottedPath(path)): string[] {
  return issues.flatMap(unfold).map((issue) => `${where(issue.path)}: ${issue.message}`);
}

export type Validated<T> = { readonly success: true; readonly data: T } | { readonly success: false; readonly problems: string[] };

/**
 * Parses `input` with `schema`; on failure, every problem as one line (see `describeIssues`).
 *
 * @example
 * const parsed = validate(deployConfigSchema, context, (path) => dottedPath(path, 'auditArchive'));
 * if (!parsed.success) throw new ConfigurationError(`invalid deployment configuration:\n  ${parsed.problems.join('\n  ')}`);
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where?: (path: Path) => string): Validated<z.output<S>> {
  const parsed = schema.safeParse(input, { error: clearIssueMessage });
  return parsed.success ? { success: true, data: parsed.data } : { success: false, problems: describeIssues(parsed.error.issues, where) };
}
