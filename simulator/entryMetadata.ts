/** The `metadata` object of a simulated entry, by activity type, drawn from the hour's generator. */
import type { Teammate } from './dataset.ts';

/** Draws from `rng` in a fixed order per type, so the dataset stays a pure function of its seed. */
export function metadataFor(type: string, rng: () => number, colleagues: readonly Teammate[]): Record<string, unknown> | null {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  switch (type) {
    case 'admin_login_success':
    case 'admin_login_failure':
      return { sign_in_method: pick(['email_password', 'google_sso', 'saml_sso']) };
    case 'app_data_export':
    case 'bulk_export':
    case 'conversation_pdf_export':
    case 'macro_usage_export':
      return { export_type: pick(['conversations', 'users', 'companies', 'messages']), record_count: Math.floor(rng() * 50_000) };
    case 'admin_permission_change': {
      const teammate = pick(colleagues);
      return {
        before: { can_export_data: false, can_manage_teammates: false },
        after: { can_export_data: true, can_manage_teammates: rng() < 0.3 },
        teammate: { id: teammate.id, email: teammate.email },
      };
    }
    case 'role_change':
      return { before: pick(['Support', 'Viewer', 'Sales']), after: pick(['Admin', 'Support', 'Owner']) };
    case 'seat_change':
      return { before: 'lite', after: 'full' };
    case 'inbox_access_change':
      return { before: { inboxes: ['Support'] }, after: { inboxes: ['Support', 'VIP'] } };
    case 'admin_impersonation_start':
    case 'admin_impersonation_end':
      return { reason: 'Support ticket investigation', consent_id: 140_000 + Math.floor(rng() * 1000) };
    case 'admin_away_mode_change':
      return { away_mode: rng() < 0.5, away_status_reason: 'On a break', reassign_conversations: false };
    case 'message_state_change':
      return { message: { id: Math.floor(rng() * 1000), title: 'Welcome tour' }, before: 'draft', after: 'live' };
    case 'admin_logout':
    case 'admin_occupancy_state_change':
      return null;
    default:
      return rng() < 0.5 ? { before: 'before', after: 'after' } : {};
  }
}
