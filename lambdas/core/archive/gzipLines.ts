/**
 * The text lines of a gzip part, read chunk by chunk (bounded memory: one inflated chunk at a
 * time) and handed to a callback: verify's hot path, where an async generator's per-line await
 * costs more than the line. The same lines `readGzipTextLines` yields (\n, \r\n and \r end a
 * line, empty lines are skipped); the inflating runs on libuv's thread pool, so parts read
 * concurrently use every core.
 */
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

const CHUNK = 256 * 1024;

export async function forEachGzipLine(body: Buffer, onLine: (line: string) => void): Promise<void> {
  const gunzip = createGunzip({ chunkSize: CHUNK });
  gunzip.end(body);
  const decoder = new StringDecoder('utf8');
  const emit = (line: string) => {
    if (line.includes('\r')) {
      for (const piece of line.split('\r')) if (piece.length > 0) onLine(piece);
    } else if (line.length > 0) onLine(line);
  };
  let carry = '';
  const take = (text: string) => {
    const s = carry + text;
    let start = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
      emit(s.slice(start, nl));
      start = nl + 1;
    }
    carry = s.slice(start);
  };
  for await (const chunk of gunzip) take(decoder.write(chunk as Buffer));
  take(decoder.end());
  emit(carry);
}
