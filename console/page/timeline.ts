/** The timeline: matching events per hour, day or week, stacked by actor kind (Chart.js, bundled). */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { t } from './i18n.ts';
import { settings } from './state.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface Timeline {
  bucket: 'hour' | 'day' | 'week';
  points: { start: number; teammate: number; bot: number; staff: number }[];
}

let chart: Chart | undefined;

function label(start: number, bucket: Timeline['bucket']): string {
  const options: Intl.DateTimeFormatOptions =
    bucket === 'hour'
      ? { timeZone: 'UTC', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }
      : { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' };
  return new Intl.DateTimeFormat(settings.lang === 'ja' ? 'ja-JP' : 'en-GB', options).format(new Date(start * 1000));
}

export function renderTimeline(canvas: HTMLCanvasElement, timeline: Timeline): void {
  const lang = settings.lang;
  chart?.destroy();
  const series = (kind: 'teammate' | 'bot' | 'staff') => timeline.points.map((p) => p[kind]);
  chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: timeline.points.map((p) => label(p.start, timeline.bucket)),
      datasets: [
        { label: t(lang, 'teammate_kind'), data: series('teammate'), backgroundColor: '#1f6feb' },
        { label: t(lang, 'bot_kind'), data: series('bot'), backgroundColor: '#d29922' },
        { label: t(lang, 'staff_kind'), data: series('staff'), backgroundColor: '#cf222e' },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } }, y: { stacked: true, beginAtZero: true } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}
