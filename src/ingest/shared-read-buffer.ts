/**
 * Plain TCP connections read into one buffer of 256 KiB that the whole process shares, instead of a fresh
 * 64 KiB buffer per read (Node's default for a socket's 'data' events).
 *
 * Why: at full speed the main thread reads some 400 MB/s. With 64 KiB reads that is about 6,000 reads a
 * second, each a syscall, a fresh buffer (faulted in, and counted by V8 as new external memory, which sets
 * off young-generation collections) and a 'data' event through the stream machinery. Reading 256 KiB at a
 * time into one reused buffer does a quarter of the reads and allocates nothing. Measured with the bench (4
 * connections, gzip and zstd, 8 s steps, four pairs alternating with the build before): peak RSS 9-15 MB
 * lower in every step, the relay's CPU per megabyte about 5% lower at the median, records/s within the
 * machine's noise (README, "Reading 256 KiB at a time"). 64 KiB into a shared buffer alone gave nothing
 * measurable: the gain is the larger reads.
 *
 * Sharing one buffer is safe because every read is handled synchronously, on the main thread, before the
 * next one can land in it: the line framer copies what it keeps of a read (an unterminated tail) and the
 * batcher copies every block into its batch buffer before the callback returns.
 *
 * How: Node's `onread` socket option (a user buffer and a callback) is public for sockets a program
 * creates, but a server's accepted sockets are made by Node itself, without it. This applies the same
 * setting to an accepted socket the way `new net.Socket({ onread })` does: the socket's `kBuffer` and
 * `kBufferCb` slots (lib/net.js, found by their symbols' descriptions) and the handle's `useUserBuffer`.
 * Where any of these is missing (another Node, a TLS socket, whose bytes come out of the TLS layer), the
 * connection keeps Node's 'data' events: the result is the same, only slower. `pause()` and `resume()`
 * stop and start the handle's reads in this mode (lib/net.js), so the byte budget's backpressure still
 * reaches TCP.
 */
import type { Socket } from 'node:net';

/** Bytes per read, at most. A read larger than the room left in a batch is split across batches at line ends (LineBatcher.add). */
export const READ_BUFFER_BYTES = 256 * 1024;

let shared: Buffer | undefined;

interface OnreadSlots {
  buffer: symbol;
  callback: symbol;
}

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

/** The socket's onread slots (set to null by Node's Socket constructor), or undefined on a Node without them. */
function onreadSlots(socket: Socket): OnreadSlots | undefined {
  const symbols = Object.getOwnPropertySymbols(socket);
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  return buffer !== undefined && callback !== undefined ? { buffer, callback } : undefined;
}

/**
 * Switches a plain TCP socket to reading into the shared buffer, each read handed to `onChunk` (a view
 * valid only during the call). Bytes the socket had already queued as a stream (after a PROXY header) are
 * handed over first, in order. Returns false, changing nothing, where the socket cannot read this way:
 * the caller then listens for 'data'.
 */
export function readIntoSharedBuffer(socket: Socket, onChunk: (chunk: Buffer) => void): boolean {
  if ((socket as { encrypted?: boolean }).encrypted === true) return false;
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (handle == null || typeof handle.useUserBuffer !== 'function') return false;
  const slots = onreadSlots(socket);
  if (slots === undefined) return false;
  shared ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const target = socket as unknown as Record<symbol, unknown>;
  target[slots.buffer] = shared;
  target[slots.callback] = (n: number, buf: Buffer) => {
    onChunk(buf.subarray(0, n));
    return true;
  };
  handle.useUserBuffer(shared);
  for (let queued = socket.read() as Buffer | null; queued !== null; queued = socket.read() as Buffer | null) onChunk(queued);
  return true;
}
