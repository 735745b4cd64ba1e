// The REST transport: every request carries `api_key` (query), `Authorization: <user token>` (no `Bearer `) and
// `stream-auth-type: jwt` (shared/protocol-notes.md §2). Non-2xx answers become StreamError; a code 40 is retried
// once with a fresh token, and a second 40 is the caller's error.

import { NetworkError, StreamError } from './errors';
import type { TokenManager } from './token';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Sent as JSON. */
  body?: unknown;
  /** GET queries that take a JSON document send it as `payload=` (§4 of the notes). */
  payload?: unknown;
  signal?: AbortSignal;
}

/** `X-Stream-Client` names the platform for rate limits; anything without android/ios/unity counts as web. */
export const CLIENT_HEADER = 'rill-web-0.1';

export class Http {
  constructor(
    private readonly fetchFn: FetchLike,
    private readonly tokens: TokenManager,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const token = await this.tokens.token();
    try {
      return await this.send<T>(method, path, options, token);
    } catch (error) {
      if (!(error instanceof StreamError) || !error.isTokenExpired) throw error;
      // Once only: a token the Hub just issued that is refused again means revocation or a clock problem,
      // and asking again would loop.
      const fresh = await this.tokens.refresh(token);
      return await this.send<T>(method, path, options, fresh);
    }
  }

  /** The absolute URL of a request, `api_key` first. Also used by the uploader. */
  async url(path: string, query: Record<string, QueryValue> = {}): Promise<string> {
    const session = await this.tokens.current();
    const url = new URL(path.replace(/^\//, ''), absoluteBase(session.base_url));
    url.searchParams.set('api_key', session.api_key);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async send<T>(method: string, path: string, options: RequestOptions, token: string): Promise<T> {
    const query = { ...options.query };
    if (options.payload !== undefined) query.payload = JSON.stringify(options.payload);
    const url = await this.url(path, query);
    const headers: Record<string, string> = {
      Authorization: token,
      'stream-auth-type': 'jwt',
      'X-Stream-Client': CLIENT_HEADER,
      Accept: 'application/json',
    };
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.signal) init.signal = options.signal;
    let response: Response;
    try {
      response = await this.fetchFn(url, init);
    } catch (cause) {
      throw new NetworkError(`${method} ${path} failed: ${String(cause)}`, { cause });
    }
    return parseResponse<T>(response);
  }
}

async function parseResponse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) throw StreamError.fromBody(body, response.status);
  if (body === undefined) throw new StreamError({ code: -1, message: 'the answer is not JSON', statusCode: response.status });
  return body as T;
}

/** The base URL as an absolute URL ending in `/`. The Hub gives the origin; a relative one (`/`) is resolved
 * against the page, so a dev setup behind a proxy works too. */
export function absoluteBase(base: string): string {
  const withSlash = base.endsWith('/') ? base : `${base}/`;
  const page = (globalThis as { location?: { href: string } }).location?.href;
  return new URL(withSlash, page).toString();
}

/** Path segments are user data (channel ids, message ids, reaction types): always encode them. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
