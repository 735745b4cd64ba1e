import { describe, expect, it } from 'vitest';
import type { IntegrationTest } from '../../hub/types';
import { formErrors, inputOf, outcomeOf, signatureOf, unreachableKind, type IntegrationForm } from './integration-logic';

const test = (code: string, message = '', app_name: string | null = null): IntegrationTest => ({
  code,
  message,
  app_name,
  connected: code === 'connected',
});

describe('outcomeOf', () => {
  it('says each outcome in words (with the server’s real messages)', () => {
    expect(outcomeOf(test('connected', 'Connected to Rill (app 1000001).', 'Rill'))).toMatchObject({
      tone: 'success',
      title: 'Connected to “Rill”',
    });
    expect(outcomeOf(test('wrong_api_key')).title).toBe('Wrong API key');
    expect(outcomeOf(test('wrong_secret')).title).toBe('Wrong API secret');
    expect(outcomeOf(test('app_id_mismatch')).title).toBe('App ID does not match');
    expect(outcomeOf(test('not_stream_api')).title).toBe('Not a Stream API');
    expect(outcomeOf(test('invalid_url')).title).toBe('Invalid URL');
    expect(outcomeOf(test('something_new')).tone).toBe('error');
  });

  it('names why the backend was unreachable', () => {
    const m = (kind: string) => `The backend could not be reached (${kind}: detail).`;
    expect(outcomeOf(test('unreachable', m('refused'))).title).toBe('Unreachable: connection refused');
    expect(outcomeOf(test('unreachable', m('dns'))).title).toBe('Unreachable: unknown host name');
    expect(outcomeOf(test('unreachable', m('tls'))).title).toBe('Unreachable: secure connection failed');
    expect(outcomeOf(test('unreachable', m('timeout'))).title).toBe('Unreachable: no answer in time');
    expect(unreachableKind('The backend could not be reached (other: received corrupt message)')).toBe('other');
    expect(unreachableKind('no parenthesis')).toBe('other');
  });
});

const form = (f: Partial<IntegrationForm> = {}): IntegrationForm => ({
  backend: 'url',
  baseUrl: 'https://chat.stream-io-api.com',
  apiKey: 'key',
  apiSecret: '',
  appId: '',
  ...f,
});

describe('the form', () => {
  it('needs a secret only when none is stored', () => {
    expect(formErrors(form(), true)).toEqual({});
    expect(formErrors(form(), false)).toEqual({ apiSecret: 'Enter the API secret.' });
  });

  it('checks the URL and App ID', () => {
    expect(formErrors(form({ baseUrl: 'not a url' }), true).baseUrl).toMatch(/full address/);
    expect(formErrors(form({ baseUrl: 'ftp://x' }), true).baseUrl).toMatch(/full address/);
    expect(formErrors(form({ baseUrl: '' }), true).baseUrl).toMatch(/Enter/);
    expect(formErrors(form({ backend: 'built-in', baseUrl: '' }), true)).toEqual({});
    expect(formErrors(form({ appId: 'abc' }), true).appId).toMatch(/number/);
    expect(formErrors(form({ appId: ' 1000001 ' }), true)).toEqual({});
  });

  it('builds the request: the stored secret by leaving it out, the App ID as a number', () => {
    expect(inputOf(form({ baseUrl: 'https://x.example/ ', appId: '42' }))).toEqual({
      base_url: 'https://x.example',
      api_key: 'key',
      app_id: 42,
    });
    expect(inputOf(form({ backend: 'built-in', apiSecret: 's3cret' }))).toEqual({
      base_url: 'built-in',
      api_key: 'key',
      api_secret: 's3cret',
    });
  });

  it('tells a tested set of values from a changed one', () => {
    const a = signatureOf(inputOf(form()));
    expect(signatureOf(inputOf(form()))).toBe(a);
    expect(signatureOf(inputOf(form({ apiSecret: 'new' })))).not.toBe(a);
    expect(signatureOf(inputOf(form({ appId: '1' })))).not.toBe(a);
  });
});
