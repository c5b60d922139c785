/**
 * The slice of the WebSocket API the client uses. The browser's and a Worker's WebSocket fit it,
 * and so does `ws` in Node (Node 20 has no WebSocket of its own without a flag).
 */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
}

/**
 * An event handler property, compared bivariantly (as methods are): each implementation's handler
 * takes its own richer event type (ws' MessageEvent, the DOM's), of which the client reads only
 * these fields.
 */
type Handler<Event> = { bivariant(event: Event): void }['bivariant'] | null;

export type SocketConstructor = new (url: string) => SocketLike;

/** Opens the socket for a URL: e.g. `(url) => new WebSocket(url, { headers })` with `ws`. */
export type SocketFactory = (url: string) => SocketLike;

export const OPEN = 1;

/** The platform's WebSocket (browsers, Workers, Node 22+), or an error saying what to pass instead. */
export function defaultSocketFactory(): SocketFactory {
  const Global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (Global === undefined)
    throw new Error(
      'no WebSocket in this runtime (Node 20): pass one, e.g. `import WebSocket from "ws"` and { WebSocket } in the options',
    );
  return (url) => new Global(url);
}

/** A message's bytes: ArrayBuffer from browsers (binaryType 'arraybuffer'), a Buffer or view from `ws`. */
export function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
