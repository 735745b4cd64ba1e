// A tiny router: the History API and popstate, no dependency. The app has a dozen fixed routes and no nested
// data loading, which is all react-router would add here at ~20 KB gzipped.

import { useSyncExternalStore } from 'react';

export const BASE = '/hub';

export const ADMIN_PAGES = ['integration', 'push', 'members', 'projects', 'moderation', 'audit', 'usage'] as const;
export type AdminPage = (typeof ADMIN_PAGES)[number];

export type Route =
  | { name: 'chat'; /** The open channel, `type:id`; absent: the last one opened, else #general. */ cid?: string }
  | { name: 'sign-in' }
  | { name: 'invite' }
  | { name: 'admin'; page: AdminPage }
  | { name: 'not-found'; path: string };

/** The route for a pathname under /hub (trailing slashes and a missing /hub/ tolerated). */
export function parseRoute(pathname: string): Route {
  let p = pathname;
  if (p === BASE || p.startsWith(BASE + '/')) p = p.slice(BASE.length);
  p = p.replace(/\/+$/, '') || '/';
  if (p === '/') return { name: 'chat' };
  if (p === '/sign-in') return { name: 'sign-in' };
  if (p === '/invite') return { name: 'invite' };
  const channel = /^\/channels\/([a-z0-9_-]+)\/([^/]+)$/i.exec(p);
  if (channel) {
    const id = safeDecode(channel[2]!);
    if (id !== null) return { name: 'chat', cid: `${channel[1]}:${id}` };
  }
  if (p === '/admin') return { name: 'admin', page: 'integration' };
  const m = /^\/admin\/([a-z]+)$/.exec(p);
  if (m && (ADMIN_PAGES as readonly string[]).includes(m[1]!)) return { name: 'admin', page: m[1] as AdminPage };
  return { name: 'not-found', path: pathname };
}

export function pathFor(route: Route): string {
  switch (route.name) {
    case 'chat': {
      if (!route.cid) return `${BASE}/`;
      const at = route.cid.indexOf(':');
      return `${BASE}/channels/${route.cid.slice(0, at)}/${encodeURIComponent(route.cid.slice(at + 1))}`;
    }
    case 'sign-in':
      return `${BASE}/sign-in`;
    case 'invite':
      return `${BASE}/invite`;
    case 'admin':
      return `${BASE}/admin/${route.page}`;
    case 'not-found':
      return route.path;
  }
}

function safeDecode(part: string): string | null {
  try {
    const decoded = decodeURIComponent(part);
    return decoded === '' || decoded.includes('/') ? null : decoded;
  } catch {
    return null;
  }
}

/**
 * Where to go after signing in: only a path of this app (not `//evil.example`, not another origin, not the
 * sign-in pages themselves), else the chat.
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith(BASE + '/') || next.startsWith('//') || /[\\\s]/.test(next)) return `${BASE}/`;
  const route = parseRoute(next.split(/[?#]/)[0]!);
  if (route.name === 'sign-in' || route.name === 'invite' || route.name === 'not-found') return `${BASE}/`;
  return next;
}

// ── Location as an external store ──────────────────────────────────────────────────────────────────────────

export interface Loc {
  pathname: string;
  search: string;
  hash: string;
}

const listeners = new Set<() => void>();
let current: Loc | null = null;

function read(): Loc {
  const { pathname, search, hash } = window.location;
  if (!current || current.pathname !== pathname || current.search !== search || current.hash !== hash) {
    current = { pathname, search, hash };
  }
  return current;
}

function notify(): void {
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  if (listeners.size === 0) window.addEventListener('popstate', notify);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

export function useLocation(): Loc {
  return useSyncExternalStore(subscribe, read, read);
}

export function useRoute(): Route {
  return parseRoute(useLocation().pathname);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search + window.location.hash;
  if (to === here) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
  if (!options.replace) window.scrollTo(0, 0);
}

/** Removes the fragment (a one-time link's token) from the address bar and history, keeping path and query. */
export function dropHash(): void {
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  notify();
}

/** Reads `token` from a fragment like `#token=abc` (URL-encoded or not). */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const t = params.get('token');
  return t && t.trim() !== '' ? t.trim() : null;
}

/** Whether a click should be left to the browser (new tab, download, another target). */
export function isModifiedClick(e: {
  button: number;
  metaKey: boolean;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  defaultPrevented: boolean;
}): boolean {
  return e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey;
}
