// A scripted WebSocket: the test plays the server, sending frames and closing, and reads what the client sent.

import type { SocketFactory, SocketLike } from '../connection';
import type { OwnUser } from '../types';

export class FakeSocket implements SocketLike {
  readonly sent: unknown[] = [];
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  /** The parsed `json` query parameter and the other connect parameters. */
  get params(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
  }

  /** The server sends one frame. */
  emit(event: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ created_at: new Date().toISOString(), ...event }) });
  }

  /** The first frame of a good connection, as Rill sends it. */
  accept(connectionId: string, me: OwnUser): void {
    this.emit({ type: 'health.check', connection_id: connectionId, cid: '*', me });
  }

  /** `connection.error` (then the server closes with 1000). */
  refuse(code: number, message = 'refused'): void {
    this.emit({ type: 'connection.error', connection_id: '', error: { code, message, StatusCode: 401, duration: '0.00ms', more_info: '' } });
    this.serverClose(1000, 'authentication failed');
  }

  serverClose(code: number, reason = ''): void {
    this.onerror?.({});
    this.onclose?.({ code, reason });
  }
}

export class FakeSocketServer {
  readonly sockets: FakeSocket[] = [];

  readonly factory: SocketFactory = (url) => {
    const socket = new FakeSocket(url);
    this.sockets.push(socket);
    return socket;
  };

  get latest(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}
