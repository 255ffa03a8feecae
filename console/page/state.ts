/** What the user chose: language, time zone (kept in this browser), the range and filters (in the URL hash). */
import type { Lang } from './i18n.ts';

export interface Meta {
  archive: string;
  engine: string;
  trust: string;
  key: { fingerprint: string; source: string } | null;
  default_range: { from: number; to: number };
  groups: Record<string, string[]>;
  labels: Record<string, { en: string; ja: string }>;
  packs: boolean;
  rules: string;
}

export const settings = {
  lang: (localStorage.getItem('lang') === 'ja' ? 'ja' : 'en') as Lang,
  zone: localStorage.getItem('zone') ?? 'UTC',
};

export function saveSettings(): void {
  localStorage.setItem('lang', settings.lang);
  localStorage.setItem('zone', settings.zone);
}

/** `#/search?from=…` → route and parameters. */
export function currentRoute(): { route: string; params: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, '');
  const [route = '', query = ''] = hash.split('?', 2);
  return { route: route || 'search', params: new URLSearchParams(query) };
}

export function go(route: string, params: URLSearchParams): void {
  location.hash = `#/${route}?${params.toString()}`;
}

/** The range of the current parameters, as UTC day strings, defaulting to the archive's last 30 days. */
export function rangeOf(params: URLSearchParams, meta: Meta): { from: string; to: string } {
  const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
  return { from: params.get('from') || day(meta.default_range.from), to: params.get('to') || day(meta.default_range.to - 1) };
}

export function formatTime(seconds: number): string {
  const format = new Intl.DateTimeFormat(settings.lang === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: settings.zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return format.format(new Date(seconds * 1000));
}

export function typeLabel(meta: Meta, type: string): string {
  const label = meta.labels[type]?.[settings.lang];
  return label ? `${label} (${type})` : type;
}
