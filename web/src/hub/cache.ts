// A small answer cache with stale-while-revalidate: a page that was seen before shows its last answer at once
// (no spinner for cached data) while it asks again in the background. Keys are strings such as 'members'.
// No dependency: react-query would do this and far more, at ~13 KB gzipped we do not need.

import { useCallback, useEffect, useSyncExternalStore } from 'react';

export interface Entry<T> {
  data: T | undefined;
  error: unknown;
  /** A request for this key is in flight. */
  fetching: boolean;
  /** When data last arrived (ms), 0 for never. */
  updatedAt: number;
}

const EMPTY: Entry<never> = Object.freeze({ data: undefined, error: undefined, fetching: false, updatedAt: 0 });

export class AnswerCache {
  private entries = new Map<string, Entry<unknown>>();
  private inflight = new Map<string, Promise<unknown>>();
  private listeners = new Set<() => void>();

  get<T>(key: string): Entry<T> {
    return (this.entries.get(key) as Entry<T> | undefined) ?? EMPTY;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private put(key: string, change: Partial<Entry<unknown>>): void {
    // A new object per change, so useSyncExternalStore sees it.
    this.entries.set(key, { ...this.get(key), ...change });
    for (const l of this.listeners) l();
  }

  /** Sets an answer we already have (e.g. the server's answer to a change). */
  set<T>(key: string, data: T): void {
    this.put(key, { data, error: undefined, updatedAt: Date.now() });
  }

  /** Fetches the key (sharing a request already in flight); keeps the last data while it runs and on error. */
  fetch<T>(key: string, fetcher: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    this.put(key, { fetching: true });
    const p = fetcher().then(
      (data) => {
        this.inflight.delete(key);
        this.put(key, { data, error: undefined, fetching: false, updatedAt: Date.now() });
        return data;
      },
      (error: unknown) => {
        this.inflight.delete(key);
        this.put(key, { error, fetching: false });
        throw error;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  /** Forgets everything (sign-out: the next member must not see the last one's answers). */
  clear(): void {
    this.entries.clear();
    this.inflight.clear();
    for (const l of this.listeners) l();
  }
}

export const cache = new AnswerCache();

export interface Query<T> {
  data: T | undefined;
  error: unknown;
  /** No answer yet: show the loading state. */
  loading: boolean;
  /** Asking again while showing the last answer. */
  refreshing: boolean;
  refetch: () => Promise<T | undefined>;
}

/** Reads `key` through the cache: the cached answer at once, and a fresh one on mount (and on refetch). */
export function useQuery<T>(key: string, fetcher: () => Promise<T>, store: AnswerCache = cache): Query<T> {
  const entry = useSyncExternalStore(store.subscribe, () => store.get<T>(key));
  // The fetcher is a new closure every render; the key says what it fetches.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const refetch = useCallback(() => store.fetch(key, fetcher).catch(() => undefined), [key, store]);
  useEffect(() => {
    void refetch();
  }, [refetch]);
  return {
    data: entry.data,
    error: entry.error,
    loading: entry.data === undefined && entry.error === undefined,
    refreshing: entry.fetching && entry.data !== undefined,
    refetch,
  };
}
