// What Connect and Test's outcome means, in words, and the checks of the form before it is sent.

import type { IntegrationInput, IntegrationTest } from '../../hub/types';
import type { Tone } from '../common/Notice';

export const HOSTED_STREAM_URL = 'https://chat.stream-io-api.com';

export interface Outcome {
  tone: Tone;
  title: string;
  advice: string;
}

export type UnreachableKind = 'refused' | 'dns' | 'tls' | 'timeout' | 'other';

/** The server names why it could not connect: "The backend could not be reached (dns: …)". */
export function unreachableKind(message: string): UnreachableKind {
  const m = /\((refused|dns|tls|timeout|other)\b/.exec(message);
  return (m?.[1] as UnreachableKind | undefined) ?? 'other';
}

const UNREACHABLE: Record<UnreachableKind, Omit<Outcome, 'tone'>> = {
  refused: {
    title: 'Unreachable: connection refused',
    advice: 'Nothing accepts connections at that address and port. Check the base URL and that the backend is running.',
  },
  dns: {
    title: 'Unreachable: unknown host name',
    advice: 'The host name in the base URL could not be found (DNS). Check it for typos.',
  },
  tls: {
    title: 'Unreachable: secure connection failed',
    advice: 'The TLS handshake failed: the certificate was not trusted, or the address does not speak HTTPS.',
  },
  timeout: {
    title: 'Unreachable: no answer in time',
    advice: 'The backend did not answer in time. Check the address, and any firewall or proxy in between.',
  },
  other: {
    title: 'Unreachable',
    advice: 'The connection failed. The detail below says how.',
  },
};

export function outcomeOf(test: IntegrationTest): Outcome {
  switch (test.code) {
    case 'connected':
      return {
        tone: 'success',
        title: test.app_name ? `Connected to “${test.app_name}”` : 'Connected',
        advice: 'The keys work. Save to use them.',
      };
    case 'wrong_api_key':
      return {
        tone: 'error',
        title: 'Wrong API key',
        advice: 'The backend does not know this API key. Copy it again from your Stream app’s dashboard.',
      };
    case 'wrong_secret':
      return {
        tone: 'error',
        title: 'Wrong API secret',
        advice: 'The API key is right but the secret does not belong to it. Copy the secret again, whole.',
      };
    case 'app_id_mismatch':
      return {
        tone: 'error',
        title: 'App ID does not match',
        advice: 'The keys work, but for another app than the App ID given. Correct the App ID, or leave it empty.',
      };
    case 'unreachable':
      return { tone: 'error', ...UNREACHABLE[unreachableKind(test.message)] };
    case 'not_stream_api':
      return {
        tone: 'error',
        title: 'Not a Stream API',
        advice: `Something answers at that address, but not as the Stream Chat API does. For hosted Stream the base URL is ${HOSTED_STREAM_URL}.`,
      };
    case 'refused':
      return {
        tone: 'error',
        title: 'The backend refused the keys',
        advice: 'It answered as Stream does, with an error of its own (below).',
      };
    case 'invalid_url':
      return {
        tone: 'error',
        title: 'Invalid URL',
        advice: 'The base URL must be a full address starting with https:// (or http://).',
      };
    case 'no_built_in_engine':
      return {
        tone: 'error',
        title: 'No built-in engine',
        advice: 'This server does not run its own chat engine. Enter your Stream backend’s address instead.',
      };
    default:
      return { tone: 'error', title: 'The test did not pass', advice: 'The detail below says why.' };
  }
}

export interface IntegrationForm {
  backend: 'built-in' | 'url';
  baseUrl: string;
  apiKey: string;
  /** A new secret; empty keeps the stored one. */
  apiSecret: string;
  appId: string;
}

export type FormErrors = Partial<Record<'baseUrl' | 'apiKey' | 'apiSecret' | 'appId', string>>;

/** Problems to fix before testing; `hasStoredSecret` says whether an empty secret field means "keep it". */
export function formErrors(f: IntegrationForm, hasStoredSecret: boolean): FormErrors {
  const e: FormErrors = {};
  if (f.backend === 'url') {
    const url = f.baseUrl.trim();
    if (url === '') e.baseUrl = 'Enter the backend’s address.';
    else if (!isHttpUrl(url)) e.baseUrl = `Enter a full address, like ${HOSTED_STREAM_URL}.`;
  }
  if (f.apiKey.trim() === '') e.apiKey = 'Enter the API key.';
  if (f.apiSecret === '' && !hasStoredSecret) e.apiSecret = 'Enter the API secret.';
  const id = f.appId.trim();
  if (id !== '' && !/^\d{1,15}$/.test(id)) e.appId = 'The App ID is a number, like 1234567.';
  return e;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** The request body for the form (absent secret: the stored one). */
export function inputOf(f: IntegrationForm): IntegrationInput {
  const input: IntegrationInput = {
    base_url: f.backend === 'built-in' ? 'built-in' : f.baseUrl.trim().replace(/\/+$/, ''),
    api_key: f.apiKey.trim(),
  };
  if (f.apiSecret !== '') input.api_secret = f.apiSecret;
  const id = f.appId.trim();
  if (id !== '') input.app_id = Number(id);
  return input;
}

/** Identifies what was tested, so Save knows whether the passing test was of these very values. */
export function signatureOf(input: IntegrationInput): string {
  return JSON.stringify([input.base_url, input.api_key, input.api_secret ?? null, input.app_id ?? null]);
}
