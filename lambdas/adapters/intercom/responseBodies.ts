/**
 * Reading what an Intercom server sent, defensively: bodies are capped, error bodies are reduced to
 * codes, messages and the request id, and nothing a library says about the request (which can
 * quote the Authorization header) is passed on.
 */
import { safeText } from '../../core/text/safeText.ts';

/** Error bodies are small; anything larger is not read past this. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * What went wrong on the wire, from error codes only: a library's message can quote request
 * headers (undici: 'Headers.append: "Bearer …" is an invalid header value'), so none is passed on.
 */
export function networkDetail(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  const name = error instanceof Error ? error.name : typeof error;
  return `request failed (${/^[A-Za-z]{1,40}$/.test(name) ? name : 'error'})`;
}

export class PageTooLargeError extends Error {}

/** Reads a body as text, stopping (and cancelling the stream) once it passes `maxBytes`. */
export async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new PageTooLargeError();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PageTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

export const formatMb = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(3))} MB`;

/** The origin a redirect points to, and nothing of its path or query (which may carry anything). */
export function redirectOrigin(location: string | null, base: URL): string {
  if (!location) return 'no Location header';
  try {
    return safeText(new URL(location, base).origin);
  } catch {
    return 'an invalid Location header';
  }
}

export function shortIssue(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (issues?.length)
    return issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
  return error instanceof Error ? error.message : String(error);
}

export interface ErrorBody {
  requestId?: string;
  codes: string[];
  messages: string[];
}

/**
 * Reads Intercom's `error.list` body; only codes, messages and the request id, never headers.
 * They are the server's words: control characters are stripped and each is cut to a sane length.
 */
export async function readErrorBody(response: Response): Promise<ErrorBody> {
  try {
    const body = JSON.parse(await readCapped(response, MAX_ERROR_BODY_BYTES)) as {
      request_id?: unknown;
      errors?: { code?: unknown; message?: unknown }[];
    };
    const errors = Array.isArray(body.errors) ? body.errors.slice(0, 5) : [];
    const clean = (text: string, max: number) => safeText(text).slice(0, max);
    return {
      ...(typeof body.request_id === 'string' && { requestId: clean(body.request_id, 100) }),
      codes: errors
        .map((e) => e?.code)
        .filter((c): c is string => typeof c === 'string')
        .map((c) => clean(c, 100)),
      messages: errors
        .map((e) => e?.message)
        .filter((m): m is string => typeof m === 'string')
        .map((m) => clean(m, 300)),
    };
  } catch {
    return { codes: [], messages: [] };
  }
}
