/**
 * The local receiver over real sockets, as an attacker who can reach it would use it: HEAD,
 * a body larger than the limit (declared, and chunked without a length), a client that sends
 * its body too slowly, and a forged signature.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWebhookServer, startWebhookServer } from '../../lambdas/adapters/local/webhookServer.ts';
import { MAX_WEBHOOK_BODY_BYTES } from '../../lambdas/core/webhook/notification.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';

const SECRET = 'http-test-secret';
const store = new MemoryObjectStore();
let server: RunningWebhookServer;
beforeAll(async () => {
  server = await startWebhookServer({ secret: SECRET, apps: new Map([['ws', 'ws']]), store }, { requestTimeoutMs: 400 });
});
afterAll(async () => {
  await server.close();
});

/** Sends headers and the given chunks (without ending when `end` is false); resolves with the answer. */
function send(method: string, headers: Record<string, string>, chunks: Buffer[], end = true): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, method, path: '/', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    if (end) req.end();
  });
}

describe('the local webhook receiver over HTTP', () => {
  it('answers HEAD with 200 and no body', async () => {
    expect(await send('HEAD', {}, [])).toEqual({ status: 200, body: '' });
  });

  it('answers a declared body over the limit with 413 without reading it', async () => {
    const r = await send('POST', { 'content-length': String(MAX_WEBHOOK_BODY_BYTES + 1) }, [Buffer.from('{')], false);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ outcome: 'too-large' });
  });

  it('answers a chunked body that grows past the limit with 413 as soon as it does', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const chunks = Array.from({ length: Math.ceil(MAX_WEBHOOK_BODY_BYTES / chunk.length) + 1 }, () => chunk);
    const r = await send('POST', { 'transfer-encoding': 'chunked' }, chunks, false);
    expect(r.status).toBe(413);
  });

  it('gives up on a client that sends its body too slowly (408) and writes nothing', async () => {
    const r = await send('POST', { 'content-length': '100', 'x-hub-signature': `sha1=${'0'.repeat(40)}` }, [Buffer.from('{"type"')], false);
    expect(r.status).toBe(408);
    expect(store.objects.size).toBe(0);
  });

  it('answers a forged signature with 401', async () => {
    const body = Buffer.from('{"type":"notification_event","app_id":"ws","topic":"admin.activity_log_event.created","data":{"item":{}}}');
    const r = await send('POST', { 'content-type': 'application/json', 'x-hub-signature': `sha1=${'1'.repeat(40)}` }, [body]);
    expect(r.status).toBe(401);
    expect(store.objects.size).toBe(0);
  });
});
