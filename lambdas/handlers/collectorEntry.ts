/**
 * The collector Lambda's entry point. Everything is built here, at module scope, once per
 * container: the configuration, the rules and the SDK clients; each invocation only runs.
 */
import { collectorDepsFromEnvironment, createCollectorHandler } from './collector.ts';
import { reconciliationFrom, withWebhookReconciliation } from './webhookReconciliation.ts';

const deps = collectorDepsFromEnvironment(process.env);
export const handler = withWebhookReconciliation(createCollectorHandler(deps), reconciliationFrom(deps));
