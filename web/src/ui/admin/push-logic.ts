// Checks of push credentials before they are sent: the same four fields the Hub checks in a service account,
// and the shapes Apple gives its IDs and keys. The server checks again.

export type ServiceAccountCheck =
  | { ok: true; projectId: string; clientEmail: string }
  | { ok: false; problem: string };

export function checkServiceAccount(text: string): ServiceAccountCheck {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'This file is not JSON. Choose the key file Firebase downloaded (a .json file).' };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, problem: 'This JSON is not a service account.' };
  }
  const sa = json as Record<string, unknown>;
  if (sa.type !== 'service_account') {
    return { ok: false, problem: 'This is not a service account key: its "type" is not "service_account".' };
  }
  const missing = (['project_id', 'client_email', 'private_key'] as const).filter(
    (k) => typeof sa[k] !== 'string' || (sa[k] as string).trim() === '',
  );
  if (missing.length > 0) return { ok: false, problem: `The service account has no ${missing.map((m) => `"${m}"`).join(', ')}.` };
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(sa.private_key as string)) {
    return { ok: false, problem: 'The service account’s "private_key" is not a PEM private key.' };
  }
  return { ok: true, projectId: sa.project_id as string, clientEmail: sa.client_email as string };
}

/** An APNs auth key (.p8) is a PEM PKCS#8 private key. */
export function p8Problem(text: string): string | null {
  return /^\s*-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\s*$/.test(text)
    ? null
    : 'This is not an APNs key: a .p8 file starts with “-----BEGIN PRIVATE KEY-----”.';
}

export interface ApnsForm {
  keyId: string;
  teamId: string;
  bundleId: string;
  development: boolean;
}

export type ApnsErrors = Partial<Record<'p8' | 'keyId' | 'teamId' | 'bundleId', string>>;

/**
 * APNs is sent when it is configured or being configured (a key chosen or any ID typed); then every ID is
 * needed, and a key unless one is stored.
 */
export function apnsErrors(f: ApnsForm, hasNewKey: boolean, hasStoredKey: boolean): ApnsErrors {
  const e: ApnsErrors = {};
  if (!hasNewKey && !hasStoredKey) e.p8 = 'Choose the .p8 key file from Apple Developer → Keys.';
  if (!/^[A-Z0-9]{10}$/.test(f.keyId.trim())) e.keyId = 'The Key ID is 10 letters and digits, shown beside the key in Apple Developer.';
  if (!/^[A-Z0-9]{10}$/.test(f.teamId.trim())) e.teamId = 'The Team ID is 10 letters and digits (Apple Developer → Membership).';
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(f.bundleId.trim())) e.bundleId = 'Enter the app’s bundle ID, like com.example.app.';
  return e;
}

export function apnsTouched(f: ApnsForm, hasNewKey: boolean, configured: boolean): boolean {
  return configured || hasNewKey || f.keyId.trim() !== '' || f.teamId.trim() !== '' || f.bundleId.trim() !== '';
}
