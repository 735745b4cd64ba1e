// ARCHITECTURE.md's invariant for the web app, checked: only src/chat talks to the chat backend and only
// src/hub to the Hub (no network calls from the UI), so swapping the backend or auditing the token's path means
// reading two directories.
import { describe, expect, it } from 'vitest';

// Every source file's text, by path relative to src/ ("./chat/client.ts").
const files = import.meta.glob<string>(['./**/*.ts', './**/*.tsx', '!./**/*.test.ts', '!./**/*.test.tsx'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

// A global `fetch(`, `XMLHttpRequest`, `WebSocket` or `EventSource`; `.fetch(` of a cache or a query is not.
const NETWORK = /(^|[^.\w])(fetch\(|new XMLHttpRequest|new WebSocket|new EventSource|navigator\.sendBeacon)/m;

describe('the web app architecture', () => {
  it('makes network calls only from src/chat and src/hub', () => {
    const offenders = Object.entries(files)
      .filter(([path]) => !path.startsWith('./chat/') && !path.startsWith('./hub/'))
      .filter(([, text]) => NETWORK.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });

  it('sees the files and finds a network call where there is one (the check can fail)', () => {
    expect(Object.keys(files).length).toBeGreaterThan(50);
    expect(NETWORK.test("const r = await fetch('/x');")).toBe(true);
    expect(NETWORK.test('cache.fetch(key)')).toBe(false);
    expect(NETWORK.test(files['./chat/connection.ts'] ?? '')).toBe(true);
  });
});
