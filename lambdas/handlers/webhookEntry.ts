/**
 * The webhook receiver Lambda's entry point: configuration, rules and SDK clients built once
 * per container, when the function loads (a bad setting or rules file fails the start).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeAlertSink, SnsAlertSink } from '../adapters/aws/awsAlertSinks.ts';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore.ts';
import { parseRules } from '../core/rules/ruleset.ts';
import { METRICS_NAMESPACE } from './constants.ts';
import { type WebhookDeps, createWebhookHandler } from './webhook.ts';
import { parseWebhookEnv } from './webhookConfig.ts';

export function webhookDepsFromEnvironment(env: NodeJS.ProcessEnv): WebhookDeps {
  const config = parseWebhookEnv(env);
  const ruleSet = config.RULES_FILE
    ? parseRules(readFileSync(path.resolve(import.meta.dirname, config.RULES_FILE), 'utf8'), config.RULES_FILE)
    : undefined;
  const sinks = [
    ...(config.ALERTS_TOPIC_ARN ? [new SnsAlertSink(new SNSClient({}), config.ALERTS_TOPIC_ARN)] : []),
    ...(config.ALERTS_BUS_NAME ? [new EventBridgeAlertSink(new EventBridgeClient({}), config.ALERTS_BUS_NAME)] : []),
  ];
  return {
    config,
    store: new S3ObjectStore(new S3Client({}), { bucket: config.ARCHIVE_BUCKET, prefix: config.ARCHIVE_PREFIX }),
    secrets: new SecretsManagerClient({}),
    ...(ruleSet && { alerts: { ruleSet, sinks } }),
    logger: new Logger(),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE }),
  };
}

export const handler = createWebhookHandler(webhookDepsFromEnvironment(process.env));
