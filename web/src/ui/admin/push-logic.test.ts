import { describe, expect, it } from 'vitest';
import { apnsErrors, apnsTouched, checkServiceAccount, p8Problem } from './push-logic';

const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
const sa = (o: Record<string, unknown>) =>
  JSON.stringify({ type: 'service_account', project_id: 'rill-1', client_email: 'push@rill-1.iam.gserviceaccount.com', private_key: KEY, ...o });

describe('checkServiceAccount', () => {
  it('accepts a service account and names it', () => {
    expect(checkServiceAccount(sa({}))).toEqual({
      ok: true,
      projectId: 'rill-1',
      clientEmail: 'push@rill-1.iam.gserviceaccount.com',
    });
  });
  it('says what is wrong', () => {
    expect(checkServiceAccount('nope')).toMatchObject({ ok: false, problem: expect.stringMatching(/not JSON/) });
    expect(checkServiceAccount('[]')).toMatchObject({ ok: false });
    expect(checkServiceAccount(sa({ type: 'authorized_user' }))).toMatchObject({ problem: expect.stringMatching(/"type"/) });
    expect(checkServiceAccount(sa({ project_id: '', client_email: 3 }))).toMatchObject({
      problem: 'The service account has no "project_id", "client_email".',
    });
    expect(checkServiceAccount(sa({ private_key: 'abc' }))).toMatchObject({ problem: expect.stringMatching(/PEM/) });
  });
});

describe('APNs', () => {
  const good = { keyId: 'ABC1234567', teamId: 'TEAM123456', bundleId: 'com.example.rill', development: false };
  it('checks the key file', () => {
    expect(p8Problem(KEY)).toBeNull();
    expect(p8Problem('garbage')).toMatch(/not an APNs key/);
  });
  it('needs every ID, and a key unless one is stored', () => {
    expect(apnsErrors(good, true, false)).toEqual({});
    expect(apnsErrors(good, false, true)).toEqual({});
    expect(Object.keys(apnsErrors(good, false, false))).toEqual(['p8']);
    expect(Object.keys(apnsErrors({ ...good, keyId: 'ABC', teamId: 'T', bundleId: 'app' }, true, false))).toEqual([
      'keyId',
      'teamId',
      'bundleId',
    ]);
  });
  it('is left out until it is being set up', () => {
    const blank = { keyId: '', teamId: '', bundleId: '', development: false };
    expect(apnsTouched(blank, false, false)).toBe(false);
    expect(apnsTouched(blank, true, false)).toBe(true);
    expect(apnsTouched({ ...blank, teamId: 'X' }, false, false)).toBe(true);
    expect(apnsTouched(blank, false, true)).toBe(true);
  });
});
