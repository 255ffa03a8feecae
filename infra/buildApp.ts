/** Builds the CDK app with its offline checks: cdk-nag AwsSolutions and cfn-guard (Control Tower rules). */
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArchiveStack } from './ArchiveStack.ts';
import { AuditArchiveStack } from './AuditArchiveStack.ts';
import { CollectorStack } from './CollectorStack.ts';
import { type DeployConfig, parseDeployConfig } from './config.ts';
import { STACK_NAMES } from './crossAccount.ts';

/**
 * Control Tower proactive controls that do not fit this design, each with its reason (also in
 * the README's Deploy section).
 */
export const DISABLED_GUARD_RULES: Record<string, string> = {};

/** Feature flags the stack relies on, so tests and `cdk synth` build the same template. */
export const FEATURE_FLAGS = {
  // Access-log delivery through a bucket policy instead of an ACL (no ACLs anywhere).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
};

export interface BuildOptions {
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  readonly queriesDir?: string;
}

/**
 * One stack (`IntercomAuditArchive`) by default; with `archiveAccount`, the two-account layout:
 * `IntercomAuditArchive-Archive` in the archive account and `IntercomAuditArchive-Collector` in the
 * workload account, each deployed with its own account's credentials. `stack` is the first of `stacks`.
 */
export function buildApp(options: BuildOptions = {}): { app: App; stack: Stack; stacks: Stack[]; config: DeployConfig } {
  const app = new App({
    context: { ...FEATURE_FLAGS, ...options.context },
    ...(options.outdir && { outdir: options.outdir }),
  });
  const config = parseDeployConfig(app.node.tryGetContext('auditArchive'));
  const queries = options.queriesDir ? { queriesDir: options.queriesDir } : {};
  const { archiveAccount: archive, workloadAccount: workload } = config;
  const stacks: Stack[] =
    archive && workload
      ? [
          new ArchiveStack(app, STACK_NAMES.archive, { config, workload, env: archive, ...queries }),
          new CollectorStack(app, STACK_NAMES.collector, { config, archive, env: workload }),
        ]
      : [
          new AuditArchiveStack(app, STACK_NAMES.oneAccount, {
            config,
            ...queries,
            env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
          }),
        ];
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator({ disabledRules: Object.keys(DISABLED_GUARD_RULES) }));
  return { app, stack: stacks[0]!, stacks, config };
}
