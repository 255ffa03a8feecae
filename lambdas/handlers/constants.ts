/** CloudWatch namespace of the collector's metrics (the stack's alarms read it too). */
export const METRICS_NAMESPACE = 'IntercomAuditArchive';

/**
 * POWERTOOLS_SERVICE_NAME of each function, set by the stack: the `service` key of every log
 * line and the `service` dimension of the metrics the alarms read. The handlers pass no name.
 */
export const SERVICE_NAMES = { collector: 'collector', reporter: 'reporter', webhook: 'webhook' } as const;

/** Head receipts on the account's default EventBridge bus: the stack's grant and the handler use these. */
export const HEAD_RECEIPT_SOURCE = 'intercom-audit-archive';
export const HEAD_RECEIPT_DETAIL_TYPE = 'head receipt';
