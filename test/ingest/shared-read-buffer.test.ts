/**
 * Plain TCP connections read into the process's shared 256 KiB buffer (src/ingest/shared-read-buffer.ts):
 * on this Node the switch takes effect (reads larger than Node's own 64 KiB arrive), and through a real
 * listener every line of several concurrent connections arrives once, intact and in order, across pauses
 * (the byte budget's backpressure), after a PROXY header, and with lines longer than the shared buffer.
 * Bytes a paused stream had already queued before the switch are handed over first (the second test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { READ_BUFFER_BYTES, readIntoSharedBuffer } from '../../src/ingest/shared-read-buffer.js';
import { startListener, tcp, until } from './listener-kit.js';

/** A byte pattern that shifts every 8 KiB, so a chunk out of place or handed over twice does not compare equal. */
function pattern(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 13)) & 0xff;
  return b;
}

/** Starts `server` on a loopback port and connects a plain TCP client to it. */
async function connectTo(server: Server): Promise<Socket> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return tcp((server.address() as { port: number }).port);
}

test('an accepted plain TCP socket reads into the shared buffer, in reads larger than 64 KiB, bytes intact', async () => {
  const chunks: Buffer[] = [];
  let switched: boolean | undefined;
  let ended = false;
  const server = createServer((socket) => {
    switched = readIntoSharedBuffer(socket, (chunk) => chunks.push(Buffer.from(chunk)));
    socket.on('end', () => {
      ended = true;
      socket.end();
    });
  });
  const sent = pattern(8 * 1024 * 1024);
  const client = await connectTo(server);
  client.end(sent);
  try {
    await until(() => ended, 'the end of the stream');
    // Node's 'data' events never carry more than 64 KiB: a larger read proves the shared buffer is in use.
    assert.equal(switched, true, 'this Node must expose the onread slots of an accepted socket');
    assert.ok(Math.max(...chunks.map((c) => c.length)) > 64 * 1024, `largest read ${Math.max(...chunks.map((c) => c.length))} bytes`);
    assert.ok(chunks.every((c) => c.length <= READ_BUFFER_BYTES));
    assert.ok(Buffer.concat(chunks).equals(sent), 'bytes arrive as sent, in order');
  } finally {
    client.destroy();
    server.close();
  }
});

test('bytes the socket had already queued as a stream are handed over first, then the reads that follow', async () => {
  const chunks: Buffer[] = [];
  let socket: Socket | undefined;
  let ended = false;
  const server = createServer((s) => {
    socket = s;
    // Paused as the PROXY header reader leaves a socket: Node still reads up to its high-water mark.
    s.pause();
  });
  const sent = pattern(2 * 1024 * 1024);
  const client = await connectTo(server);
  client.write(sent.subarray(0, 100 * 1024));
  try {
    await until(() => (socket?.readableLength ?? 0) > 0, 'bytes queued in the paused stream');
    const queued = socket!.readableLength;
    assert.equal(readIntoSharedBuffer(socket!, (chunk) => chunks.push(Buffer.from(chunk))), true);
    socket!.on('end', () => (ended = true));
    socket!.resume();
    client.end(sent.subarray(100 * 1024));
    await until(() => ended, 'the end of the stream');
    assert.ok(chunks[0]!.length >= queued, `the queued ${queued} bytes come first, in one piece`);
    assert.ok(Buffer.concat(chunks).equals(sent), 'queued bytes, then later reads, in order');
  } finally {
    client.destroy();
    server.close();
  }
});

/** Lines `<conn>:<seq>:<padding>` of lengths 1 B to about 300 KiB (longer than the shared buffer). */
function linesFor(conn: number, count: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const pad = i % 97 === 0 ? 300 * 1024 : (i * 131) % 3000;
    lines.push(`${conn}:${i}:${'x'.repeat(pad)}`);
  }
  return lines;
}

/** Writes `text` in uneven pieces, waiting for the socket to drain (the listener may be paused). */
async function writeInPieces(s: Socket, text: Buffer, seed: number): Promise<void> {
  let at = 0;
  let k = seed;
  while (at < text.length) {
    k = (k * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (k % (200 * 1024));
    if (!s.write(text.subarray(at, at + n))) await new Promise((r) => s.once('drain', r));
    at += n;
  }
}

for (const proxyProtocol of [false, true]) {
  test(`a listener${proxyProtocol ? ' behind PROXY protocol' : ''}: four connections at once, paused and resumed, every line once and in order`, async () => {
    const { listener, port, rec } = await startListener(proxyProtocol ? { proxyProtocol: true, maxLineBytes: 1024 * 1024 } : { maxLineBytes: 1024 * 1024 });
    const conns = [0, 1, 2, 3];
    const expected = conns.map((c) => linesFor(c, 1200));
    const sockets = await Promise.all(conns.map(() => tcp(port)));
    // Backpressure while the clients write: the listener stops reading and starts again, several times.
    let paused = false;
    const flapper = setInterval(() => listener.setPaused((paused = !paused)), 15);
    try {
      await Promise.all(
        sockets.map(async (s, c) => {
          let text = Buffer.from(expected[c]!.join('\n') + '\n');
          // The header and the first records in one write: the bytes after the header reach the framer before any read into the shared buffer.
          if (proxyProtocol) text = Buffer.concat([Buffer.from(`PROXY TCP4 198.51.100.${c + 1} 10.0.0.1 4000${c} 9018\r\n`), text]);
          await writeInPieces(s, text, c + 1);
          s.end();
        }),
      );
      clearInterval(flapper);
      listener.setPaused(false);
      const total = expected.reduce((n, l) => n + l.length, 0);
      await until(() => rec.data().split('\n').length - 1 >= total, 'every line', 20_000);
      const got = new Map<number, string[]>(conns.map((c) => [c, []]));
      for (const line of rec.data().split('\n').slice(0, -1)) got.get(Number(line.slice(0, line.indexOf(':'))))!.push(line);
      for (const c of conns) {
        assert.equal(got.get(c)!.length, expected[c]!.length, `connection ${c}: line count`);
        assert.ok(got.get(c)!.every((l, i) => l === expected[c]![i]), `connection ${c}: lines intact and in order`);
      }
      assert.deepEqual(rec.refused, []);
    } finally {
      clearInterval(flapper);
      for (const s of sockets) s.destroy();
      listener.stopAccepting();
    }
  });
}
