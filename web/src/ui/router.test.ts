import { describe, expect, it } from 'vitest';
import { isModifiedClick, parseRoute, pathFor, safeNext, tokenFromHash } from './router';

describe('parseRoute', () => {
  it('knows every route', () => {
    expect(parseRoute('/hub/')).toEqual({ name: 'chat' });
    expect(parseRoute('/hub')).toEqual({ name: 'chat' });
    expect(parseRoute('/hub/channels/team/general')).toEqual({ name: 'chat', cid: 'team:general' });
    expect(parseRoute('/hub/channels/messaging/!members-a%3Ab')).toEqual({ name: 'chat', cid: 'messaging:!members-a:b' });
    expect(parseRoute('/hub/channels/team/%E0%A4%A')).toEqual({ name: 'not-found', path: '/hub/channels/team/%E0%A4%A' });
    expect(parseRoute('/hub/channels/team/a%2Fb')).toEqual({ name: 'not-found', path: '/hub/channels/team/a%2Fb' });
    expect(pathFor({ name: 'chat', cid: 'messaging:!members-a:b' })).toBe('/hub/channels/messaging/!members-a%3Ab');
    expect(parseRoute(pathFor({ name: 'chat', cid: 'team:p-1 x' }))).toEqual({ name: 'chat', cid: 'team:p-1 x' });
    expect(parseRoute('/hub/sign-in')).toEqual({ name: 'sign-in' });
    expect(parseRoute('/hub/invite/')).toEqual({ name: 'invite' });
    expect(parseRoute('/hub/admin')).toEqual({ name: 'admin', page: 'integration' });
    for (const page of ['integration', 'push', 'members', 'projects', 'moderation', 'audit', 'usage']) {
      expect(parseRoute(`/hub/admin/${page}`)).toEqual({ name: 'admin', page });
    }
  });

  it('says not found for the rest', () => {
    expect(parseRoute('/hub/admin/secrets')).toEqual({ name: 'not-found', path: '/hub/admin/secrets' });
    expect(parseRoute('/hub/admin/members/x')).toMatchObject({ name: 'not-found' });
    expect(parseRoute('/hubble')).toMatchObject({ name: 'not-found' });
  });

  it('round-trips paths', () => {
    for (const p of ['/hub/', '/hub/sign-in', '/hub/invite', '/hub/admin/audit']) {
      expect(pathFor(parseRoute(p))).toBe(p);
    }
  });
});

describe('safeNext', () => {
  it('keeps paths of this app', () => {
    expect(safeNext('/hub/admin/members')).toBe('/hub/admin/members');
    expect(safeNext('/hub/admin/moderation?x=1')).toBe('/hub/admin/moderation?x=1');
  });
  it('refuses other places and loops', () => {
    for (const bad of [null, '', 'https://evil.example/hub/', '//evil.example', '/hub/sign-in', '/hub/invite', '/other', '/hub/\\evil', '/hub/nope']) {
      expect(safeNext(bad)).toBe('/hub/');
    }
  });
});

describe('tokenFromHash', () => {
  it('reads the token', () => {
    expect(tokenFromHash('#token=abc_-1')).toBe('abc_-1');
    expect(tokenFromHash('#token=a%2Bb')).toBe('a+b');
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
    expect(tokenFromHash('#other=1')).toBeNull();
  });
});

describe('isModifiedClick', () => {
  const plain = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false };
  it('leaves new-tab clicks to the browser', () => {
    expect(isModifiedClick(plain)).toBe(false);
    expect(isModifiedClick({ ...plain, metaKey: true })).toBe(true);
    expect(isModifiedClick({ ...plain, button: 1 })).toBe(true);
  });
});
