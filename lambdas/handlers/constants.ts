/** CloudWatch namespace of the collector's metrics (the stack's alarms read it too). */
export const METRICS_NAMESPACE = 'IntercomAuditArchive';
