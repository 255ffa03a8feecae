/** The event page: flat columns, the verbatim entry, provenance, and its proof with the trace command. */
import { getJson } from './api.ts';
import { h, replace } from './dom.ts';
import { t } from './i18n.ts';
import { type Meta, formatTime, settings, typeLabel } from './state.ts';

interface EventAnswer {
  columns: Record<string, unknown>;
  verbatim: unknown;
  provenance: Record<string, unknown>;
  proof: {
    part: { key: string; sha256: string; bytes: number };
    manifest: { key: string; seq: number; kind: string; from_iso: string; to_iso: string; sha256: string };
    signature: { algorithm: string; key_id: string; signed_at: string } | null;
    verified: boolean | null;
    problems: string[];
    key: { fingerprint: string; source: string } | null;
  } | null;
  trace_command: string;
}

const rows = (
  record: Record<string, unknown>,
  decorate: (name: string, value: unknown) => string = (_, v) => (v === null ? '' : String(v)),
) =>
  h(
    'dl',
    { class: 'fields' },
    Object.entries(record).flatMap(([name, value]) => [h('dt', {}, name), h('dd', { class: 'mono' }, decorate(name, value))]),
  );

export async function renderEvent(target: HTMLElement, meta: Meta, params: URLSearchParams): Promise<void> {
  const lang = settings.lang;
  const id = params.get('id') ?? '';
  const event = await getJson<EventAnswer>('api/event', new URLSearchParams({ id, at: params.get('at') ?? '' }));
  const proof = event.proof;
  const status =
    proof?.verified === true
      ? h('p', { id: 'proof-status', class: 'ok' }, '✔ ', t(lang, 'verified_ok'))
      : proof?.verified === false
        ? h('p', { id: 'proof-status', class: 'bad' }, '✘ ', t(lang, 'verified_bad'))
        : h('p', { id: 'proof-status', class: 'warn' }, t(lang, 'verified_none'));
  const copy = h('button', { type: 'button', id: 'copy-trace' }, t(lang, 'copy'));
  copy.addEventListener('click', async () => {
    await navigator.clipboard?.writeText(event.trace_command).catch(() => undefined);
    copy.textContent = t(lang, 'copied');
  });
  const back = h('a', { href: '#/search', id: 'back' }, `← ${t(lang, 'back')}`);
  back.addEventListener('click', (e) => {
    if (history.length > 1) {
      e.preventDefault();
      history.back();
    }
  });
  replace(
    target,
    back,
    h('h2', {}, t(lang, 'event', { id })),
    h(
      'section',
      { class: 'card', id: 'proof' },
      h('h3', {}, t(lang, 'proof')),
      status,
      proof &&
        h(
          'dl',
          { class: 'fields' },
          h('dt', {}, t(lang, 'part')),
          h('dd', { class: 'mono' }, proof.part.key, h('br'), `sha256 ${proof.part.sha256} (${proof.part.bytes} bytes)`),
          h('dt', {}, t(lang, 'manifest')),
          h(
            'dd',
            { class: 'mono' },
            `${proof.manifest.key} — seq ${proof.manifest.seq} ${proof.manifest.kind} [${proof.manifest.from_iso}, ${proof.manifest.to_iso})`,
            h('br'),
            `sha256 ${proof.manifest.sha256}`,
          ),
          h('dt', {}, t(lang, 'signature')),
          h(
            'dd',
            { class: 'mono' },
            proof.signature ? `${proof.signature.algorithm} ${proof.signature.key_id} ${proof.signature.signed_at}` : t(lang, 'unsigned'),
            proof.key && h('br'),
            proof.key && t(lang, 'checked_with', { fp: proof.key.fingerprint, source: proof.key.source }),
          ),
        ),
      proof &&
        proof.problems.length > 0 &&
        h(
          'ul',
          { class: 'problems' },
          proof.problems.map((p) => h('li', {}, p)),
        ),
      h('p', { class: 'muted' }, t(lang, 'chain_note')),
      h('h4', {}, t(lang, 'trace_command')),
      h('pre', { id: 'trace-command', class: 'mono' }, event.trace_command),
      copy,
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, t(lang, 'columns')),
      rows(event.columns, (name, value) =>
        name === 'created_at'
          ? `${value} (${formatTime(Number(value))})`
          : name === 'activity_type'
            ? typeLabel(meta, String(value))
            : value === null
              ? ''
              : String(value),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, t(lang, 'verbatim')),
      h('pre', { id: 'verbatim', class: 'mono' }, JSON.stringify(event.verbatim, null, 2)),
    ),
    h('section', { class: 'card' }, h('h3', {}, t(lang, 'provenance')), rows(event.provenance)),
  );
}
