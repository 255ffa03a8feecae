/** Recorded as provenance on every line and manifest; a test keeps it equal to package.json. */
export const COLLECTOR_VERSION = '0.1.0';

export function newRunId(now: Date = new Date()): string {
  const random = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `run-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}-${random}`;
}
