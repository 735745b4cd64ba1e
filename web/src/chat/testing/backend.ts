// A fake engine behind `fetch`: routes by method and path, records every request, and answers with real
// Response objects. A route can answer later (`defer`) so tests can order a WebSocket event before an answer.

import type { FetchLike } from '../http';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  /** The decoded `payload=` of GET queries. */
  payload: unknown;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export type Route = (request: RecordedRequest) => Reply | Promise<Reply> | 'network-error';

export class FakeBackend {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route[]>();

  /** Adds a handler for `METHOD /path`. Several handlers for one route answer in turn; the last one repeats. */
  on(route: string, handler: Route): this {
    const list = this.routes.get(route) ?? [];
    list.push(handler);
    this.routes.set(route, list);
    return this;
  }

  /** Requests to one route, in order. */
  calls(route: string): RecordedRequest[] {
    return this.requests.filter((request) => `${request.method} ${request.path}` === route);
  }

  readonly fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const payloadText = url.searchParams.get('payload');
    const request: RecordedRequest = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
      payload: payloadText === null ? undefined : JSON.parse(payloadText),
    };
    this.requests.push(request);
    const key = `${request.method} ${request.path}`;
    const handlers = this.routes.get(key) ?? [];
    // The n-th request to a route takes the n-th handler; the last one answers every request after.
    const answered = this.requests.filter((earlier) => `${earlier.method} ${earlier.path}` === key).length - 1;
    const handler = handlers[Math.min(answered, handlers.length - 1)];
    if (!handler) return json(404, apiError(16, `no fake route for ${key}`, 404));
    const reply = await handler(request);
    if (reply === 'network-error') throw new TypeError('Failed to fetch');
    return json(reply.status ?? 201, reply.body);
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export function apiError(code: number, message: string, status: number): Record<string, unknown> {
  return { code, message, StatusCode: status, duration: '0.10ms', more_info: 'https://rill.example/errors', details: [] };
}

/** An answer that waits until the test calls `release`. */
export function deferred(): { route: Route; release: (reply: Reply) => void; requested: Promise<RecordedRequest> } {
  let release: (reply: Reply) => void = () => undefined;
  let seen: (request: RecordedRequest) => void = () => undefined;
  const requested = new Promise<RecordedRequest>((resolve) => (seen = resolve));
  const answer = new Promise<Reply>((resolve) => (release = resolve));
  return {
    route: (request) => {
      seen(request);
      return answer;
    },
    release: (reply) => release(reply),
    requested,
  };
}
