export const HOLD_ROOT = 'holds/';
