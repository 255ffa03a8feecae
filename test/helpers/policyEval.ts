/**
 * A small IAM policy evaluator over a synthesized template, enough to show what the bucket
 * policy decides for one request: explicit deny wins; otherwise an Allow in the caller role's
 * identity policies or in the bucket policy allows (one account); otherwise implicit deny.
 *
 * It resolves the intrinsics CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) to fixed fake ARNs and
 * supports exactly the condition operators the stack uses; any other operator throws, so a new
 * condition cannot be silently treated as matching. Hand-written because no maintained library
 * evaluates IAM policies offline (the IAM policy simulator is an AWS API call).
 */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

type Json = any;
export interface Template {
  readonly Resources: Record<string, { Type: string; Properties: Record<string, Json> }>;
}

export interface Request {
  /** e.g. s3:PutObject */
  readonly action: string;
  /** Resource ARN, e.g. arnOfObject(template, 'manifests/x.json') */
  readonly resource: string;
  /** The caller's role ARN (aws:PrincipalArn); use roleArn(logicalId) for the stack's roles. */
  readonly principalArn: string;
  /** Condition keys present in the request, e.g. { 's3:if-none-match': '*', 's3:ObjectCreationOperation': 'true' } */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'explicit-deny' | 'allow' | 'implicit-deny';

export function roleArn(logicalId: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/${logicalId}`;
}

export function resolve(template: Template, value: Json): Json {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => resolve(template, v));
  if ('Ref' in value) return ref(template, value.Ref);
  if ('Fn::GetAtt' in value) return getAtt(template, value['Fn::GetAtt'][0], value['Fn::GetAtt'][1]);
  if ('Fn::Join' in value) return (resolve(template, value['Fn::Join'][1]) as string[]).join(value['Fn::Join'][0]);
  if ('Fn::Sub' in value) {
    const text = typeof value['Fn::Sub'] === 'string' ? value['Fn::Sub'] : value['Fn::Sub'][0];
    return text.replace(/\$\{([^}]+)\}/g, (_: string, name: string) =>
      name.includes('.') ? getAtt(template, name.split('.')[0]!, name.split('.')[1]!) : ref(template, name),
    );
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(template, v)]));
}

function ref(template: Template, name: string): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': REGION,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (pseudo[name]) return pseudo[name];
  const r = template.Resources[name];
  if (!r) throw new Error(`policyEval: Ref to unknown ${name}`);
  return r.Type === 'AWS::S3::Bucket' ? name.toLowerCase() : name;
}

function getAtt(template: Template, id: string, attribute: string): string {
  const r = template.Resources[id];
  if (!r) throw new Error(`policyEval: GetAtt of unknown ${id}`);
  if (attribute !== 'Arn') return `${id}.${attribute}`;
  switch (r.Type) {
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${id.toLowerCase()}`;
    case 'AWS::IAM::Role':
      return roleArn(id);
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
    default:
      return `arn:aws:${r.Type.split('::')[1]!.toLowerCase()}:${REGION}:${ACCOUNT}:${id}`;
  }
}

export function arnOfObject(template: Template, bucketLogicalId: string, key: string): string {
  return `${getAtt(template, bucketLogicalId, 'Arn')}/${key}`;
}

const wildcard = (pattern: string, value: string, ignoreCase: boolean) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  ).test(value);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function conditionHolds(operator: string, key: string, expected: string[], context: Readonly<Record<string, string>>): boolean {
  const actual = context[key];
  switch (operator) {
    case 'Null':
      return expected.some((e) => String(e) === String(actual === undefined));
    case 'Bool':
      return actual !== undefined && expected.some((e) => String(e) === actual);
    case 'BoolIfExists':
      return actual === undefined || expected.some((e) => String(e) === actual);
    case 'StringEquals':
      return actual !== undefined && expected.includes(actual);
    case 'StringNotEquals':
      return actual === undefined || !expected.includes(actual);
    case 'ArnEquals':
    case 'ArnLike':
      return actual !== undefined && expected.some((e) => wildcard(e, actual, false));
    case 'ArnNotEquals':
    case 'ArnNotLike':
      return actual === undefined || !expected.some((e) => wildcard(e, actual, false));
    case 'NumericLessThan':
      return actual !== undefined && expected.some((e) => Number(actual) < Number(e));
    default:
      throw new Error(`policyEval: condition operator ${operator} is not modelled`);
  }
}

function statementApplies(st: Json, request: Request, context: Readonly<Record<string, string>>, checkPrincipal: boolean): boolean {
  if (checkPrincipal) {
    const aws = list(st.Principal === '*' ? '*' : st.Principal?.AWS);
    // An account principal (…:root) stands for every principal of that account, and only of that account.
    const accountOf = (arn: string) => arn.split(':')[4];
    const matchesPrincipal = aws.some(
      (p: string) => p === '*' || p === request.principalArn || (p.endsWith(':root') && accountOf(p) === accountOf(request.principalArn)),
    );
    if (!matchesPrincipal) return false;
  }
  const actions = list(st.Action) as string[];
  if (st.Action !== undefined && !actions.some((a) => wildcard(a, request.action, true))) return false;
  if (st.NotAction !== undefined && (list(st.NotAction) as string[]).some((a) => wildcard(a, request.action, true))) return false;
  if (st.Resource !== undefined && !(list(st.Resource) as string[]).some((r) => wildcard(r, request.resource, false))) return false;
  if (st.NotResource !== undefined && (list(st.NotResource) as string[]).some((r) => wildcard(r, request.resource, false))) return false;
  for (const [operator, keys] of Object.entries<Record<string, Json>>(st.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys))
      if (!conditionHolds(operator, key, list(expected).map(String), context)) return false;
  }
  return true;
}

/** The bucket policy and the identity policies of the caller's role, resolved. */
export function evaluate(template: Template, bucketLogicalId: string, request: Request): Decision {
  const context = { 'aws:PrincipalArn': request.principalArn, 'aws:SecureTransport': 'true', ...request.context };
  const bucketPolicy = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket?.Ref === bucketLogicalId,
  );
  if (!bucketPolicy) throw new Error(`policyEval: no bucket policy for ${bucketLogicalId}`);
  const resourceStatements = list(resolve(template, bucketPolicy.Properties.PolicyDocument).Statement);
  const roleId = Object.keys(template.Resources).find(
    (id) => template.Resources[id]!.Type === 'AWS::IAM::Role' && roleArn(id) === request.principalArn,
  );
  const managed = new Set(
    (list(roleId ? template.Resources[roleId]!.Properties.ManagedPolicyArns : undefined) as Json[]).map((m) => m?.Ref).filter(Boolean),
  );
  const identityStatements = Object.entries(template.Resources)
    .filter(
      ([id, r]) =>
        (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
        roleId !== undefined &&
        (managed.has(id) || list(r.Properties.Roles).some((role: Json) => role?.Ref === roleId)),
    )
    .flatMap(([, r]) => list(resolve(template, r.Properties.PolicyDocument).Statement));
  if (resourceStatements.some((st) => st.Effect === 'Deny' && statementApplies(st, request, context, true))) return 'explicit-deny';
  if (identityStatements.some((st) => st.Effect === 'Deny' && statementApplies(st, request, context, false))) return 'explicit-deny';
  if (resourceStatements.some((st) => st.Effect === 'Allow' && statementApplies(st, request, context, true))) return 'allow';
  if (identityStatements.some((st) => st.Effect === 'Allow' && statementApplies(st, request, context, false))) return 'allow';
  return 'implicit-deny';
}
