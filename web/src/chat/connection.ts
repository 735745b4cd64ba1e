// The WebSocket: `/connect` handshake, health checks, silence detection, and reconnects with backoff.
//
// Frame order (shared/protocol-notes.md §8): the first frame is `health.check` carrying `connection_id` and `me`
// (hosted Stream calls it `connection.ok`; both are accepted), or `connection.error` followed by a close. A
// `connection.error` with code 40 means "fetch a new token and reconnect"; any other code is final. Every other
// loss (a close with 1001/1011/1006, a handshake that never completes, silence) reconnects with exponential
// backoff and full jitter, and a reconnect gets a new `connection_id`: watches do not survive it, so the owner
// re-watches on `onConnected({reconnect: true})`.

import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff';
import { Timer, type Clock } from './clock';
import { StreamError } from './errors';
import type { ChatEvent, UnknownEvent } from './events';
import { absoluteBase, CLIENT_HEADER } from './http';
import { Store } from './store';
import type { TokenManager } from './token';
import type { OwnUser } from './types';

export type ConnectionState =
  /** Dialling; `attempt` counts the failures since the last successful connection. */
  | { status: 'connecting'; attempt: number }
  | { status: 'online'; connectionId: string }
  /** Waiting to retry at `nextRetryAt` (epoch ms of the injected clock). */
  | { status: 'offline'; attempt: number; nextRetryAt: number; error?: Error }
  /** Not connected and not trying: never opened, disconnected, or refused for good (`error`). */
  | { status: 'closed'; error?: Error };

/** The part of the browser's WebSocket the connection uses. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

export interface ConnectionOptions {
  tokens: TokenManager;
  createSocket: SocketFactory;
  clock: Clock;
  random: () => number;
  /** The client sends a health check this often; the server sends its own every 25 s. */
  healthIntervalMs?: number;
  /** No frame for this long means the connection is dead (default two health intervals). */
  silenceTimeoutMs?: number;
  /** The first frame must arrive within this (default 15 s). */
  handshakeTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** False while the browser knows it has no network: retries then wait without dialing (default: always). */
  isOnline?: () => boolean;
  onEvent: (event: ChatEvent | UnknownEvent) => void;
  onConnected: (info: { connectionId: string; me: OwnUser | undefined; reconnect: boolean }) => void;
}

/** Why a socket was given up, decided once per socket. */
type Loss = { kind: 'retry'; error: Error } | { kind: 'refused'; error: StreamError };

export class Connection {
  readonly state = new Store<ConnectionState>({ status: 'closed' });
  private socket: SocketLike | undefined;
  private established = false;
  private everConnected = false;
  private wanted = false;
  /** Failures since the last successful handshake: the backoff exponent. */
  private attempt = 0;
  /** Consecutive refusals with code 40, to refresh once and then back off rather than loop. */
  private expiredInARow = 0;
  private tokenInUse: string | undefined;
  private needsFreshToken = false;
  private userId = '';
  /** Bumped by every dial and close, so a dial that awaited a token can tell it was overtaken. */
  private dialGeneration = 0;
  private me: OwnUser | undefined;
  private waiters: { resolve: (me: OwnUser | undefined) => void; reject: (error: Error) => void }[] = [];
  private readonly retryTimer: Timer;
  private readonly healthTimer: Timer;
  private readonly silenceTimer: Timer;
  private readonly handshakeTimer: Timer;
  private readonly healthIntervalMs: number;
  private readonly silenceTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;

  constructor(private readonly options: ConnectionOptions) {
    this.retryTimer = new Timer(options.clock);
    this.healthTimer = new Timer(options.clock);
    this.silenceTimer = new Timer(options.clock);
    this.handshakeTimer = new Timer(options.clock);
    this.healthIntervalMs = options.healthIntervalMs ?? 25_000;
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? 2 * this.healthIntervalMs;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 15_000;
  }

  get connectionId(): string | undefined {
    const state = this.state.getSnapshot();
    return state.status === 'online' ? state.connectionId : undefined;
  }

  /** Connects (if not already) and resolves with `me` once online. Rejects only if the server refuses for good
   * or `close()` is called first; network failures keep retrying in the background. */
  open(): Promise<OwnUser | undefined> {
    this.wanted = true;
    if (this.state.getSnapshot().status === 'online') return Promise.resolve(this.me);
    const waiting = new Promise<OwnUser | undefined>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.state.getSnapshot().status === 'closed') void this.dial();
    return waiting;
  }

  /** Disconnects for good (sign-out, unmount). */
  close(): void {
    this.wanted = false;
    this.dialGeneration += 1;
    this.retryTimer.clear();
    this.abandonSocket();
    this.state.set({ status: 'closed' });
    this.settleWaiters(new Error('the connection was closed'));
  }

  /** Skips the backoff wait (the browser says it is back online, the tab became visible). */
  reconnectNow(): void {
    if (this.wanted && this.state.getSnapshot().status === 'offline') {
      this.retryTimer.clear();
      void this.dial();
    }
  }

  /**
   * The browser says the network is gone (`offline`): drop the socket now and go to the retry loop, rather
   * than wait for the silence timeout, since a dead socket often stays "open" for a long time.
   */
  networkLost(): void {
    if (this.wanted && this.socket) this.lose({ kind: 'retry', error: new Error('the browser is offline') });
  }

  private async dial(): Promise<void> {
    const generation = ++this.dialGeneration;
    if (this.options.isOnline && !this.options.isOnline()) {
      // A socket cannot open: keep backing off quietly until the `online` event calls reconnectNow.
      this.scheduleRetry(new Error('the browser is offline'));
      return;
    }
    this.state.set({ status: 'connecting', attempt: this.attempt });
    let url: string;
    try {
      url = await this.connectUrl();
    } catch (error) {
      // The Hub did not give a token (offline, restarting): retry like any other network failure.
      if (generation === this.dialGeneration && this.wanted) this.lose({ kind: 'retry', error: asError(error) });
      return;
    }
    if (generation !== this.dialGeneration || !this.wanted) return;
    const socket = this.options.createSocket(url);
    this.socket = socket;
    this.established = false;
    socket.onmessage = (event) => {
      if (this.socket === socket) this.onFrame(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.lose({ kind: 'retry', error: new Error(`socket closed (${event.code} ${event.reason})`) });
    };
    // A close event always follows an error event; the close decides.
    socket.onerror = () => undefined;
    this.handshakeTimer.set(this.handshakeTimeoutMs, () =>
      this.lose({ kind: 'retry', error: new Error('no answer to the connection request') }),
    );
  }

  private async connectUrl(): Promise<string> {
    if (this.needsFreshToken) {
      await this.options.tokens.refresh(this.tokenInUse);
      this.needsFreshToken = false;
    }
    const session = await this.options.tokens.current();
    this.tokenInUse = session.token;
    this.userId = session.user_id;
    const url = new URL('connect', absoluteBase(session.base_url));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const request = {
      user_id: session.user_id,
      user_details: { id: session.user_id },
      // Older clients send this; the engine ignores it and always chooses the connection id.
      server_determines_connection_id: true,
    };
    url.searchParams.set('json', JSON.stringify(request));
    url.searchParams.set('api_key', session.api_key);
    url.searchParams.set('authorization', session.token);
    url.searchParams.set('stream-auth-type', 'jwt');
    url.searchParams.set('X-Stream-Client', CLIENT_HEADER);
    return url.toString();
  }

  private onFrame(data: unknown): void {
    // Any frame proves the connection alive, not only health checks.
    this.silenceTimer.set(this.silenceTimeoutMs, () =>
      this.lose({ kind: 'retry', error: new Error(`no frame for ${this.silenceTimeoutMs} ms`) }),
    );
    for (const event of parseFrame(data)) {
      if (!this.socket) return;
      if (event.type === 'connection.error') {
        this.lose({ kind: 'refused', error: StreamError.fromBody(event.error, 401) });
        return;
      }
      if (!this.established && (event.type === 'health.check' || event.type === 'connection.ok')) {
        if (typeof event.connection_id === 'string' && event.connection_id !== '') this.onEstablished(event);
      }
      this.options.onEvent(event);
    }
  }

  private onEstablished(event: ChatEvent | UnknownEvent): void {
    const connectionId = event.connection_id as string;
    this.handshakeTimer.clear();
    this.established = true;
    this.attempt = 0;
    this.expiredInARow = 0;
    this.me = (event.me as OwnUser | undefined) ?? this.me;
    this.state.set({ status: 'online', connectionId });
    this.scheduleHealthCheck(connectionId);
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.options.onConnected({ connectionId, me: this.me, reconnect });
    this.settleWaiters(undefined);
  }

  private scheduleHealthCheck(connectionId: string): void {
    this.healthTimer.set(this.healthIntervalMs, () => {
      // The notes' client frame: an array holding one event; `client_id` is `<user_id>--<connection id>`.
      this.socket?.send(JSON.stringify([{ type: 'health.check', client_id: `${this.userId}--${connectionId}` }]));
      this.scheduleHealthCheck(connectionId);
    });
  }

  /** Gives up the current socket once, then decides: reconnect, refresh the token, or stop. */
  private lose(loss: Loss): void {
    this.abandonSocket();
    if (!this.wanted) return;
    if (loss.kind === 'refused' && loss.error.isTokenExpired) {
      this.refreshAndRedial(loss.error);
      return;
    }
    if (loss.kind === 'refused') {
      // Any other refusal (bad API key, a user the token does not name, too many sockets) will not heal by
      // retrying; the UI shows it.
      this.wanted = false;
      this.state.set({ status: 'closed', error: loss.error });
      this.settleWaiters(loss.error);
      return;
    }
    this.scheduleRetry(loss.error);
  }

  private refreshAndRedial(error: StreamError): void {
    this.expiredInARow += 1;
    // The next dial fetches a fresh token first, however long until it happens (a failed refresh backs off and
    // tries again; it never redials with the refused token).
    this.needsFreshToken = true;
    // A token the Hub just issued refused again: back off instead of hammering the Hub and the engine.
    if (this.expiredInARow === 1) void this.dial();
    else this.scheduleRetry(error);
  }

  private scheduleRetry(error: Error): void {
    const delay = backoffDelay(this.attempt, this.options.random, this.options.backoff ?? defaultBackoff);
    this.attempt += 1;
    this.state.set({ status: 'offline', attempt: this.attempt, nextRetryAt: this.options.clock.now() + delay, error });
    this.retryTimer.set(delay, () => void this.dial());
  }

  /** Detaches the socket so its late events are ignored, and closes it. */
  private abandonSocket(): void {
    this.handshakeTimer.clear();
    this.healthTimer.clear();
    this.silenceTimer.clear();
    const socket = this.socket;
    this.socket = undefined;
    this.established = false;
    if (!socket) return;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    try {
      socket.close(1000, 'client closed');
    } catch {
      // Closing a socket that never opened can throw in some browsers; it is gone either way.
    }
  }

  private settleWaiters(error: Error | undefined): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve(this.me);
    }
  }
}

function parseFrame(data: unknown): (ChatEvent | UnknownEvent)[] {
  if (typeof data !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return [];
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.filter(
    (item): item is ChatEvent | UnknownEvent =>
      typeof item === 'object' && item !== null && typeof (item as { type?: unknown }).type === 'string',
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
