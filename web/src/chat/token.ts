// The chat token. The Hub is the only issuer (`GET /hub/api/chat/session`, docs/hub-api.md), so the client asks
// a provider for a fresh session ahead of `expires_at` and whenever the engine answers code 40 (expired or
// revoked). Concurrent callers share one in-flight refresh, so a burst of 40s costs one Hub request.

import { Timer, type Clock } from './clock';
import type { ChatSession } from './types';

export type TokenProvider = () => Promise<ChatSession>;

export interface TokenManagerOptions {
  provider: TokenProvider;
  clock: Clock;
  /** How long before `expires_at` to refresh (default 5 minutes). */
  refreshMarginMs?: number;
  /** After a failed scheduled refresh, try again this much later (default 30 s). */
  retryMs?: number;
}

export class TokenManager {
  private session: ChatSession | undefined;
  private inFlight: Promise<ChatSession> | undefined;
  private readonly timer: Timer;
  private readonly margin: number;
  private readonly retryMs: number;
  private stopped = false;

  constructor(private readonly options: TokenManagerOptions) {
    this.timer = new Timer(options.clock);
    this.margin = options.refreshMarginMs ?? 5 * 60_000;
    this.retryMs = options.retryMs ?? 30_000;
  }

  /** The current session, fetching the first one if needed. */
  async current(): Promise<ChatSession> {
    return this.session ?? (await this.fetch());
  }

  async token(): Promise<string> {
    return (await this.current()).token;
  }

  /**
   * A fresh token after `stale` was refused. When another caller already replaced `stale`, its replacement is
   * returned without asking the Hub again.
   */
  async refresh(stale?: string): Promise<string> {
    if (this.inFlight) return (await this.inFlight).token;
    if (stale !== undefined && this.session && this.session.token !== stale) return this.session.token;
    return (await this.fetch()).token;
  }

  stop(): void {
    this.stopped = true;
    this.timer.clear();
  }

  private fetch(): Promise<ChatSession> {
    if (!this.inFlight) {
      this.inFlight = this.options.provider().then(
        (session) => {
          this.inFlight = undefined;
          this.session = session;
          this.schedule(session);
          return session;
        },
        (error: unknown) => {
          this.inFlight = undefined;
          throw error;
        },
      );
    }
    return this.inFlight;
  }

  /** Arms the next refresh `margin` before expiry. A token that lives less than the margin is refreshed at half
   * its remaining life, and never sooner than 10 s: a client clock far ahead of the Hub's sees every token as
   * expired, and must not refresh in a loop. */
  private schedule(session: ChatSession): void {
    if (this.stopped) return;
    const expires = Date.parse(session.expires_at);
    if (Number.isNaN(expires)) return;
    const remaining = expires - this.options.clock.now();
    const delay = remaining - this.margin > 0 ? remaining - this.margin : Math.max(10_000, remaining / 2);
    this.timer.set(delay, () => this.refreshOnSchedule());
  }

  private refreshOnSchedule(): void {
    this.fetch().catch(() => {
      // The Hub may be briefly unreachable: the current token still works until it expires, and a code 40
      // triggers a refresh on demand anyway. Keep trying on a slow beat.
      if (!this.stopped) this.timer.set(this.retryMs, () => this.refreshOnSchedule());
    });
  }
}

/**
 * The provider for the web app: the Hub's session endpoint with the session cookie. A 401 (signed out) or 409
 * (`not_connected`) rejects, and the caller shows the sign-in page or the "chat is not set up" state.
 */
export function hubSessionProvider(
  fetchFn: typeof fetch = (...args) => globalThis.fetch(...args),
  url = '/hub/api/chat/session',
): TokenProvider {
  return async () => {
    const response = await fetchFn(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) throw new HubSessionError(response.status, await response.text().catch(() => ''));
    return (await response.json()) as ChatSession;
  };
}

export class HubSessionError extends Error {
  override readonly name = 'HubSessionError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the Hub refused a chat session (HTTP ${status})`);
  }
}
