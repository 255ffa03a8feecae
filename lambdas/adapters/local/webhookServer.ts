/**
 * The webhook receiver on a loopback HTTP server (`audit-archive webhook`, tests, bench): reads
 * at most the body limit (a longer body is answered 413 and the connection closed, without
 * reading the rest), gives up on a client that sends its headers or body too slowly (408), and
 * hands the raw bytes to the same receiver the Lambda runs.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_WEBHOOK_BODY_BYTES } from '../../core/webhook/notification.ts';
import { type WebhookReceiverDeps, type WebhookResponse, memoryHeadHint, receiveWebhook } from '../../core/webhook/receive.ts';

export interface WebhookServerOptions {
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** A request whose headers and body take longer is answered 408 (slow-body clients). @default 10 000 */
  readonly requestTimeoutMs?: number;
  /** Called after each answer (the CLI prints it; never the body or the secret). */
  readonly onResponse?: (response: WebhookResponse) => void;
}

export interface RunningWebhookServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Reads the body up to `limit` bytes; resolves `tooLarge` as soon as it is known to be over. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ body: Buffer.alloc(0), tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        resolve({ body: Buffer.alloc(0), tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: false }));
    req.on('error', reject);
    // Timed out (408 from Node) or hung up before the end: nothing to answer.
    req.on('close', () => reject(new Error('the client went away before the body ended')));
  });
}

function answer(res: ServerResponse, response: WebhookResponse, method: string, close: boolean): void {
  const text = method === 'HEAD' ? '' : `${JSON.stringify({ outcome: response.outcome, message: response.message })}\n`;
  res.writeHead(response.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...(close && { connection: 'close' }),
  });
  res.end(text);
}

export async function startWebhookServer(deps: WebhookReceiverDeps, options: WebhookServerOptions = {}): Promise<RunningWebhookServer> {
  const limit = deps.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const receiverDeps = { headHint: memoryHeadHint(), ...deps };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const { body, tooLarge } = method === 'POST' ? await readBody(req, limit) : { body: Buffer.alloc(0), tooLarge: false };
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
    const response = await receiveWebhook({ method, headers, body, tooLarge }, receiverDeps);
    answer(res, response, method, tooLarge);
    // The rest of an oversized body is discarded as it comes (never buffered); the request
    // timeout still ends a client that keeps sending. Closing at once could reset the
    // connection before the client reads the 413.
    if (tooLarge) req.resume();
    options.onResponse?.(response);
  };
  // Slow-body (slowloris) clients: the whole request must arrive within the timeout, headers
  // sooner; Node answers 408 and closes. Its check runs every connectionsCheckingInterval.
  const timeout = options.requestTimeoutMs ?? 10_000;
  const server: Server = createServer(
    { requestTimeout: timeout, headersTimeout: Math.min(timeout, 5_000), connectionsCheckingInterval: Math.min(1_000, timeout / 2) },
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent && !req.destroyed)
          answer(res, { status: 500, outcome: 'delivery-failed', message: 'internal error' }, req.method ?? '', true);
      });
    },
  );
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
