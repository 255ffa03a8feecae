/**
 * The first check every request meets, before the framework parses it: the Host must name the
 * console itself (DNS rebinding) and the method must be GET or HEAD (nothing writes). Written
 * against node:http so that a body, an odd method or a malformed URL never reaches a handler.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { SECURITY_HEADERS, hostAllowed } from './session.ts';

export function guarded(port: () => number, next: RequestListener): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const refuse = (status: number, text: string, extra: Record<string, string> = {}) => {
      response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      response.end(`${status} ${text}\n`);
      request.resume();
    };
    if (!hostAllowed(request.headers.host, port())) return refuse(421, 'this console answers only as 127.0.0.1 or localhost');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'the console is read-only', { Allow: 'GET, HEAD' });
    return next(request, response);
  };
}
