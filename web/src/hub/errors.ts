// The Hub answers every error as {"error": {"code", "message"}} with its HTTP status. HubError carries that,
// plus what the network or a proxy did instead (no answer, an HTML error page), and `describe` turns it into
// words a person can act on. The server's own message stays available for the detail line.

/** Codes that are not the server's: the request never got a Hub answer. */
export type ClientErrorCode = 'network' | 'unexpected_answer';

export class HubError extends Error {
  readonly status: number;
  readonly code: string;
  /** The server's message (or, for client codes, what went wrong). */
  readonly serverMessage: string;
  /** Seconds from `Retry-After`, when the answer carried one. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, serverMessage: string, retryAfterSeconds: number | null = null) {
    super(`${code}: ${serverMessage}`);
    this.name = 'HubError';
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isHubError(e: unknown, code?: string): e is HubError {
  return e instanceof HubError && (code === undefined || e.code === code);
}

/** `Retry-After` is seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.round((at - now) / 1000));
}

/**
 * Builds the HubError for a non-2xx answer from its status, headers and body text. A body that is not the
 * Hub's error shape (a proxy's HTML page, an empty 502) still becomes a typed error with honest words.
 */
export function errorFromAnswer(status: number, bodyText: string, retryAfter: string | null): HubError {
  const retry = parseRetryAfter(retryAfter);
  try {
    const body: unknown = JSON.parse(bodyText);
    if (body && typeof body === 'object' && 'error' in body) {
      const err = (body as { error: unknown }).error;
      if (err && typeof err === 'object') {
        const { code, message } = err as { code?: unknown; message?: unknown };
        if (typeof code === 'string') {
          return new HubError(status, code, typeof message === 'string' ? message : '', retry);
        }
      }
    }
  } catch {
    // Not JSON: fall through.
  }
  return new HubError(status, 'unexpected_answer', `HTTP ${status} without the Hub's error shape`, retry);
}

/** "15 minutes", "1 minute", "40 seconds": for "try again in …". */
export function formatWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

// Words for each code, for the places that have no better context. Pages override the ones whose meaning
// depends on what the person was doing (e.g. `last_admin` on remove vs. demote).
const WORDS: Record<string, string> = {
  network: 'Rill could not be reached. Check your connection and try again.',
  unexpected_answer: 'The server gave an answer Rill did not understand. Try again in a moment.',
  invalid_request: 'The request was not accepted. Reload the page and try again.',
  invalid_email: 'Enter an email address like name@example.com.',
  invalid_name: 'Enter a name of 1 to 100 characters.',
  invalid_role: 'Choose Admin or Member.',
  not_signed_in: 'Your session has ended. Sign in again.',
  csrf: 'Your session changed in another tab. Reload the page and try again.',
  cross_origin: 'This request came from another site and was refused.',
  forbidden: 'Only admins can do this.',
  not_found: 'That no longer exists. It may have been removed.',
  method_not_allowed: 'The server does not take this request. Reload the page.',
  internal: 'Something went wrong on the server. Try again; if it keeps happening, the server log has the detail.',
  invalid_credentials: 'That email and password do not match. Check both and try again.',
  too_many_attempts: 'Too many failed sign-ins.',
  invalid_link: 'This link no longer works: it was already used, it expired (links last 24 hours), or it was withdrawn. Ask an admin for a new one.',
  password_required: 'Choose a password to finish joining.',
  weak_password: 'Use at least 12 characters for your password.',
  email_taken: 'Someone in this workspace already has that email.',
  last_admin: 'The workspace needs at least one admin. Make someone else an admin first.',
  cannot_remove_self: 'You cannot remove yourself. Ask another admin.',
  unknown_member: 'One of the chosen members is no longer in the workspace. Reload and choose again.',
  name_taken: 'Another project already has that name.',
  invalid_status: 'A project is either active or completed.',
  not_connected: 'Chat is not connected yet. An admin can connect it under Admin → Integration.',
  backend_refused: 'The chat backend refused this.',
  backend_unreachable: 'The chat backend did not answer. Check that it is running, then try again.',
  invalid_service_account: 'That file is not a usable Firebase service account.',
  invalid_apns_key: 'The APNs key must be the text of a .p8 file.',
  no_message: 'Send a message in #general first: the test push delivers its newest message.',
};

/**
 * The words to show for an error. For codes whose server message carries the specific detail (the backend's
 * refusal, what is wrong with a service account) the detail is appended.
 */
export function describeError(e: unknown, overrides: Record<string, string> = {}): string {
  if (!(e instanceof HubError)) return WORDS.network!;
  const base = overrides[e.code] ?? WORDS[e.code];
  if (e.code === 'too_many_attempts') {
    const wait = e.retryAfterSeconds;
    return wait === null
      ? `${base} Wait a few minutes, then try again.`
      : `${base} Try again in ${formatWait(wait)} (at ${clock(Date.now() + wait * 1000)}).`;
  }
  if (base === undefined) {
    return e.serverMessage ? capitalise(e.serverMessage) + '.' : `Something went wrong (${e.code}).`;
  }
  // A deserialisation message ("Failed to deserialize the JSON body…") is for developers, not people.
  if (DETAIL_CODES.has(e.code) && e.serverMessage && !/^failed to deserialize/i.test(e.serverMessage)) {
    return `${base} ${detail(e.serverMessage)}`;
  }
  return base;
}

const DETAIL_CODES = new Set(['backend_refused', 'invalid_service_account', 'invalid_request']);

function detail(message: string): string {
  // "the chat backend refused: banning the member: …" — drop the prefix the sentence already says.
  const m = message.replace(/^the chat backend refused:\s*/i, '');
  return capitalise(m).replace(/\.?$/, '.');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
