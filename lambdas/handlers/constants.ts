/** CloudWatch namespace of the collector's metrics (the stack's alarms read it too). */
export const METRICS_NAMESPACE = 'IntercomAuditArchive';
/** Head receipts on the account's default EventBridge bus: the stack's grant and the handler use these. */
export const HEAD_RECEIPT_SOURCE = 'intercom-audit-archive';
export const HEAD_RECEIPT_DETAIL_TYPE = 'head receipt';
