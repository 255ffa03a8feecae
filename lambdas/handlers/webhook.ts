/**
 * Webhook receiver Lambda behind a Function URL (auth NONE: Intercom cannot sign AWS requests;
 * the X-Hub-Signature HMAC is the authentication). Wires Secrets Manager, S3 and the alert
 * channels to the core receiver and answers with its status; logs the outcome, never a body.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { describeError } from '../core/errors.ts';
import type { ObjectStore } from '../core/ports.ts';
import type { AlertSink } from '../core/rules/deliver.ts';
import type { RuleSet } from '../core/rules/ruleset.ts';
import { MAX_WEBHOOK_BODY_BYTES } from '../core/webhook/notification.ts';
import { type WebhookResponse, memoryHeadHint, receiveWebhook } from '../core/webhook/receive.ts';
import { type WebhookConfig, clientSecretFrom } from './webhookConfig.ts';
import { WEBHOOK_METRICS } from '../environment.ts';

export interface WebhookDeps {
  readonly config: WebhookConfig;
  readonly store: ObjectStore;
  readonly secrets: SecretsManagerClient;
  readonly alerts?: { readonly ruleSet: RuleSet; readonly sinks: readonly AlertSink[] };
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
}

const REJECTED = new Set(['unauthorized', 'too-large', 'invalid', 'unknown-app', 'rejected-entry', 'method-not-allowed']);

/** The raw body bytes exactly as sent (Function URLs base64-encode non-text bodies). */
function rawBody(event: LambdaFunctionURLEvent): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function createWebhookHandler(deps: WebhookDeps) {
  const { config, logger, metrics } = deps;
  const apps = new Map(Object.entries(config.WEBHOOK_APPS));
  const headHint = memoryHeadHint(); // per container: a hint only, findHead checks it
  let secret: Promise<string> | undefined; // fetched once per container
  const clientSecret = () => {
    secret ??= deps.secrets
      .send(new GetSecretValueCommand({ SecretId: config.WEBHOOK_SECRET_ID }))
      .then((r) => clientSecretFrom(config.WEBHOOK_SECRET_ID, r.SecretString));
    secret.catch(() => {
      secret = undefined;
    });
    return secret;
  };

  return async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const method = event.requestContext?.http?.method ?? 'POST';
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    let response: WebhookResponse;
    try {
      const body = rawBody(event);
      response = await receiveWebhook(
        { method, headers, body, tooLarge: body.length > MAX_WEBHOOK_BODY_BYTES },
        {
          secret: method === 'HEAD' ? '' : await clientSecret(),
          apps,
          store: deps.store,
          headHint,
          ...(deps.alerts && { alerts: { ...deps.alerts, maxAgeSeconds: config.ALERT_MAX_AGE_SECONDS } }),
          ...(deps.now && { now: deps.now }),
        },
      );
    } catch (error) {
      // Secrets Manager or S3 failed: 500, so Intercom retries; the alarm on WebhookErrors says so.
      logger.error('webhook failed', { error: describeError(error), errorName: (error as Error)?.name });
      metrics.addMetric(WEBHOOK_METRICS.errors, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"outcome":"error"}' };
    }
    const { status, outcome, message, workspaceId, entryId, sent } = response;
    logger.info('webhook', { status, outcome, message, workspaceId, entryId, sent });
    if (REJECTED.has(outcome)) metrics.addMetric('WebhookRejected', MetricUnit.Count, 1);
    if (outcome === 'delivery-failed') metrics.addMetric(WEBHOOK_METRICS.errors, MetricUnit.Count, 1);
    if (outcome === 'received') metrics.addMetric('WebhookEntriesReceived', MetricUnit.Count, 1);
    if (sent) metrics.addMetric('WebhookAlertsSent', MetricUnit.Count, sent);
    metrics.publishStoredMetrics();
    return {
      statusCode: status,
      headers: { 'content-type': 'application/json' },
      body: method === 'HEAD' ? '' : JSON.stringify({ outcome, message }),
    };
  };
}
