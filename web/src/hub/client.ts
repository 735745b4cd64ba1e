// The typed Hub API client. One instance (`hub`) serves the app; tests make their own with a fake fetch.
//
// - Same-origin cookies: the session is the HttpOnly `rill_hub_session` cookie, so fetch sends credentials
//   'same-origin' and the client never sees the session token.
// - CSRF: every state-changing call carries `X-CSRF-Token` with the session's `csrf_token`, which arrives in
//   every session answer (sign-in, link, me). The client keeps the latest one. If the server still says
//   `csrf` (the session changed in another tab), the client asks `me` for the current token and retries once.
// - Errors: every non-2xx answer becomes a HubError (see errors.ts); a 401 `not_signed_in` on a call made
//   with a session also tells the app (onSignedOut) so it can show the sign-in page.

import { errorFromAnswer, HubError } from './errors';
import type {
  AuditEntry,
  ChatSession,
  FlaggedMessage,
  IntegrationInput,
  IntegrationSaveAnswer,
  IntegrationTest,
  IntegrationView,
  Member,
  ModerationAction,
  Project,
  ProjectStatus,
  Provisioning,
  PushInput,
  PushSettings,
  PushTestResult,
  Role,
  SessionAnswer,
  Usage,
} from './types';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HubClientOptions {
  /** Where the API is: `/hub/api` by default (same origin). */
  base?: string;
  fetch?: typeof fetch;
  /** Called when a call made with a session learns the session ended (401 not_signed_in). */
  onSignedOut?: () => void;
}

export class HubClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private csrfToken: string | null = null;
  onSignedOut: (() => void) | undefined;

  constructor(options: HubClientOptions = {}) {
    this.base = options.base ?? '/hub/api';
    // Bound so that a bare `fetch` from the global object keeps its receiver.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onSignedOut = options.onSignedOut;
  }

  /** The CSRF token in use (null: no session known). */
  get csrf(): string | null {
    return this.csrfToken;
  }

  private remember<T extends SessionAnswer>(answer: T): T {
    this.csrfToken = answer.csrf_token;
    return answer;
  }

  /** One call. Exposed for the chat UI's needs not covered below; prefer the typed methods. */
  async request<T>(method: Method, path: string, body?: unknown, retried = false): Promise<T> {
    const stateChanging = method !== 'GET';
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (stateChanging && this.csrfToken !== null) headers['X-CSRF-Token'] = this.csrfToken;

    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new HubError(0, 'network', e instanceof Error ? e.message : String(e));
    }

    const text = await res.text();
    if (!res.ok) {
      const err = errorFromAnswer(res.status, text, res.headers.get('Retry-After'));
      if (err.code === 'csrf' && stateChanging && !retried) {
        // The token may be stale (signed in again in another tab): fetch the current one and retry once.
        await this.me();
        return this.request<T>(method, path, body, true);
      }
      if (err.code === 'not_signed_in' && this.csrfToken !== null) {
        this.csrfToken = null;
        this.onSignedOut?.();
      }
      throw err;
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HubError(res.status, 'unexpected_answer', 'the answer is not JSON');
    }
  }

  // ── Sessions ────────────────────────────────────────────────────────────────────────────────────────────

  async signIn(email: string, password: string): Promise<SessionAnswer> {
    return this.remember(await this.request<SessionAnswer>('POST', '/auth/sign-in', { email, password }));
  }

  /** Uses a one-time sign-in or invite link's token; an invite needs a password, a sign-in link may set one. */
  async useLink(token: string, password?: string): Promise<SessionAnswer> {
    const body = password === undefined || password === '' ? { token } : { token, password };
    return this.remember(await this.request<SessionAnswer>('POST', '/auth/link', body));
  }

  async signOut(): Promise<void> {
    try {
      await this.request<{ signed_out: boolean }>('POST', '/auth/sign-out', {});
    } finally {
      this.csrfToken = null;
    }
  }

  /** The current session; a 401 `not_signed_in` means there is none. */
  async me(): Promise<SessionAnswer> {
    return this.remember(await this.request<SessionAnswer>('GET', '/auth/me'));
  }

  /** The current session or null when signed out (any other failure still throws). */
  async currentSession(): Promise<SessionAnswer | null> {
    try {
      return await this.me();
    } catch (e) {
      if (e instanceof HubError && e.code === 'not_signed_in') {
        this.csrfToken = null;
        return null;
      }
      throw e;
    }
  }

  // ── Members and projects ────────────────────────────────────────────────────────────────────────────────

  async members(): Promise<Member[]> {
    return (await this.request<{ members: Member[] }>('GET', '/members')).members;
  }

  invite(input: { email: string; name: string; role: Role }): Promise<{ member: Member; invite_url: string }> {
    return this.request('POST', '/members', input);
  }

  async updateMember(id: string, change: { name?: string; role?: Role }): Promise<Member> {
    return (await this.request<{ member: Member }>('PATCH', `/members/${encodeURIComponent(id)}`, change)).member;
  }

  async removeMember(id: string): Promise<Member> {
    return (await this.request<{ member: Member }>('DELETE', `/members/${encodeURIComponent(id)}`)).member;
  }

  async projects(): Promise<Project[]> {
    return (await this.request<{ projects: Project[] }>('GET', '/projects')).projects;
  }

  async createProject(input: { name: string; member_ids?: string[] }): Promise<Project> {
    return (await this.request<{ project: Project }>('POST', '/projects', input)).project;
  }

  async updateProject(
    id: string,
    change: { name?: string; member_ids?: string[]; status?: ProjectStatus },
  ): Promise<Project> {
    const path = `/projects/${encodeURIComponent(id)}`;
    return (await this.request<{ project: Project }>('PATCH', path, change)).project;
  }

  // ── Chat integration ────────────────────────────────────────────────────────────────────────────────────

  integration(): Promise<IntegrationView> {
    return this.request('GET', '/integration');
  }

  async testIntegration(input: IntegrationInput): Promise<IntegrationTest> {
    return (await this.request<{ test: IntegrationTest }>('POST', '/integration/test', input)).test;
  }

  saveIntegration(input: IntegrationInput & { save_anyway?: boolean }): Promise<IntegrationSaveAnswer> {
    return this.request('PUT', '/integration', input);
  }

  /** The signed-in member's chat token (for the chat UI). 409 `not_connected` before the Hub is connected. */
  chatSession(): Promise<ChatSession> {
    return this.request('GET', '/chat/session');
  }

  provisioning(): Promise<Provisioning> {
    return this.request('GET', '/provisioning');
  }

  runProvisioning(): Promise<Provisioning> {
    return this.request('POST', '/provisioning', {});
  }

  // ── Moderation, audit, usage, push ──────────────────────────────────────────────────────────────────────

  async moderationQueue(offset = 0, limit = 25): Promise<FlaggedMessage[]> {
    const q = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    return (await this.request<{ items: FlaggedMessage[] }>('GET', `/moderation/queue?${q}`)).items;
  }

  async moderate(action: ModerationAction): Promise<void> {
    await this.request<{ ok: boolean }>('POST', '/moderation/actions', action);
  }

  async audit(limit = 100): Promise<AuditEntry[]> {
    return (await this.request<{ entries: AuditEntry[] }>('GET', `/audit?limit=${limit}`)).entries;
  }

  usage(): Promise<Usage> {
    return this.request('GET', '/usage');
  }

  push(): Promise<PushSettings> {
    return this.request('GET', '/push');
  }

  savePush(input: PushInput): Promise<PushSettings> {
    return this.request('PUT', '/push', input);
  }

  testPush(memberId?: string): Promise<PushTestResult> {
    return this.request('POST', '/push/test', memberId ? { member_id: memberId } : {});
  }
}

/** The app's client. */
export const hub = new HubClient();
