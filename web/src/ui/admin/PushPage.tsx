// Push: Firebase's service account, APNs's key and IDs, Enable Push, Save; and a test push with its results.

import { useState, type FormEvent } from 'react';
import { cache, useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import { describeError } from '../../hub/errors';
import type { PushInput, PushSettings, PushTestResult } from '../../hub/types';
import { Button } from '../common/Button';
import { Checkbox, SelectField, Switch, TextField } from '../common/Field';
import { FileField } from '../common/FileField';
import { Notice } from '../common/Notice';
import { LoadFailed, SkeletonRows } from '../common/States';
import { useToast } from '../common/toast';
import { useSession } from '../session';
import { apnsErrors, apnsTouched, checkServiceAccount, p8Problem, type ApnsErrors, type ApnsForm } from './push-logic';

export function PushPage() {
  const q = useQuery('push', () => hub.push());
  if (!q.data) {
    return q.error ? (
      <LoadFailed what="the push settings" error={q.error} onRetry={() => void q.refetch()} />
    ) : (
      <SkeletonRows rows={5} label="Loading the push settings" />
    );
  }
  return (
    <>
      <PushForm key={JSON.stringify(q.data)} stored={q.data} />
      <TestPush enabled={q.data.enabled} />
    </>
  );
}

interface Chosen {
  text: string;
  name: string;
}

function PushForm({ stored }: { stored: PushSettings }) {
  const toast = useToast();
  const [enabled, setEnabled] = useState(stored.enabled);
  const [firebase, setFirebase] = useState<Chosen | null>(null);
  const [p8, setP8] = useState<Chosen | null>(null);
  const [apns, setApns] = useState<ApnsForm>({
    keyId: stored.apns.key_id ?? '',
    teamId: stored.apns.team_id ?? '',
    bundleId: stored.apns.bundle_id ?? '',
    development: stored.apns.development ?? false,
  });
  const [apnsErr, setApnsErr] = useState<ApnsErrors>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const fcm = firebase ? checkServiceAccount(firebase.text) : null;
  const p8Err = p8 ? p8Problem(p8.text) : null;
  const nothingConfigured = !stored.firebase.configured && !stored.apns.configured && !firebase && !p8;

  function setA<K extends keyof ApnsForm>(k: K, v: ApnsForm[K]) {
    setApns((a) => ({ ...a, [k]: v }));
    setApnsErr((e) => ({ ...e, [k]: undefined }));
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (fcm && !fcm.ok) return document.getElementById('push-fcm')?.querySelector('input')?.focus();
    if (p8Err) return;
    const input: PushInput = { enabled };
    if (firebase) input.firebase_credentials = firebase.text;
    if (apnsTouched(apns, p8 !== null, stored.apns.configured)) {
      const errs = apnsErrors(apns, p8 !== null, stored.apns.configured);
      setApnsErr(errs);
      if (Object.keys(errs).length > 0) return;
      input.apns = {
        key_id: apns.keyId.trim(),
        team_id: apns.teamId.trim(),
        bundle_id: apns.bundleId.trim(),
        development: apns.development,
        ...(p8 ? { p8: p8.text } : {}),
      };
    }
    setSaving(true);
    try {
      const answer = await hub.savePush(input);
      cache.set('push', answer);
      toast.show('success', answer.enabled ? 'Saved. Push notifications are on.' : 'Saved. Push notifications are off.');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="admin__body" onSubmit={(e) => void save(e)} noValidate aria-label="Push settings">
      <section className="card">
        <Switch
          label="Enable Push"
          hint="Members’ phones get a notification for new messages. Credentials stay stored when this is off."
          checked={enabled}
          onChange={(e) => setEnabled(e.target.checked)}
        />
        {enabled && nothingConfigured ? (
          <Notice tone="warning">Add Firebase or APNs credentials below, or no notification can be sent.</Notice>
        ) : null}
      </section>

      <section className="card" aria-labelledby="fcm-title">
        <div className="card__head">
          <div>
            <h2 className="card__title" id="fcm-title">
              Firebase Cloud Messaging (Android)
            </h2>
            <p className="card__sub">
              {stored.firebase.configured
                ? `Stored: project ${stored.firebase.project_id ?? '?'} (${stored.firebase.client_email ?? '?'}).`
                : 'Firebase console → Project settings → Service accounts → Generate new private key.'}
            </p>
          </div>
          <span className={`badge badge--${stored.firebase.configured ? 'success' : 'neutral'}`}>
            {stored.firebase.configured ? 'Configured' : 'Not configured'}
          </span>
        </div>
        <div id="push-fcm">
          <FileField
            label={stored.firebase.configured ? 'Replace the service account JSON' : 'Service account JSON'}
            accept="application/json,.json"
            fileName={firebase?.name ?? null}
            onText={(text, name) => setFirebase(text !== null && name ? { text, name } : null)}
            hint={fcm?.ok ? `Ready to save: project ${fcm.projectId}, ${fcm.clientEmail}.` : 'The file stays sealed on this server.'}
            error={fcm && !fcm.ok ? fcm.problem : undefined}
          />
        </div>
      </section>

      <section className="card" aria-labelledby="apns-title">
        <div className="card__head">
          <div>
            <h2 className="card__title" id="apns-title">
              Apple Push Notification service (iOS)
            </h2>
            <p className="card__sub">Apple Developer → Certificates, IDs &amp; Profiles → Keys: a key with APNs enabled.</p>
          </div>
          <span className={`badge badge--${stored.apns.configured ? 'success' : 'neutral'}`}>
            {stored.apns.configured ? 'Configured' : 'Not configured'}
          </span>
        </div>
        <FileField
          label={stored.apns.configured ? 'Replace the APNs key (.p8)' : 'APNs key (.p8)'}
          accept=".p8"
          fileName={p8?.name ?? null}
          onText={(text, name) => {
            setP8(text !== null && name ? { text, name } : null);
            setApnsErr((e) => ({ ...e, p8: undefined }));
          }}
          hint={stored.apns.configured ? 'A key is stored. Choose a file only to replace it.' : 'Apple lets you download it once.'}
          error={p8Err ?? apnsErr.p8}
        />
        <div className="form-grid">
          <TextField
            label="Key ID"
            className="input--mono"
            autoComplete="off"
            spellCheck={false}
            value={apns.keyId}
            onChange={(e) => setA('keyId', e.target.value.toUpperCase())}
            error={apnsErr.keyId}
          />
          <TextField
            label="Team ID"
            className="input--mono"
            autoComplete="off"
            spellCheck={false}
            value={apns.teamId}
            onChange={(e) => setA('teamId', e.target.value.toUpperCase())}
            error={apnsErr.teamId}
          />
          <TextField
            label="Bundle ID"
            className="input--mono"
            autoComplete="off"
            spellCheck={false}
            placeholder="com.example.app"
            value={apns.bundleId}
            onChange={(e) => setA('bundleId', e.target.value)}
            error={apnsErr.bundleId}
          />
        </div>
        <Checkbox
          label="Development (sandbox) environment"
          hint="For builds run from Xcode. Leave off for TestFlight and App Store builds."
          checked={apns.development}
          onChange={(e) => setA('development', e.target.checked)}
        />
      </section>

      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="btn-row">
        <Button type="submit" tone="primary" busy={saving}>
          {saving ? 'Saving…' : 'Save'}
        </Button>
      </div>
    </form>
  );
}

function TestPush({ enabled }: { enabled: boolean }) {
  const { member } = useSession();
  const members = useQuery('members', () => hub.members());
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PushTestResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const name = (id: string) => members.data?.find((m) => m.id === id)?.name ?? 'you';

  async function send() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await hub.testPush(target || undefined));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="test-push-title">
      <div>
        <h2 className="card__title" id="test-push-title">
          Send a test push
        </h2>
        <p className="card__sub">Pushes the newest message of #general to the member’s registered devices.</p>
      </div>
      {!enabled ? <Notice tone="info">Push is off: turn on Enable Push and save first.</Notice> : null}
      <div className="toolbar">
        <div className="toolbar__left">
          <SelectField label="Send to" value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">You ({member?.name})</option>
            {(members.data ?? [])
              .filter((m) => m.id !== member?.id)
              .map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.email})
                </option>
              ))}
          </SelectField>
          <Button onClick={() => void send()} busy={busy}>
            {busy ? 'Sending…' : 'Send a test push'}
          </Button>
        </div>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {result ? <PushResult result={result} who={target ? name(target) : 'you'} /> : null}
    </section>
  );
}

function PushResult({ result, who }: { result: PushTestResult; who: string }) {
  const failed = result.failures.length > 0 || result.general_errors.length > 0;
  return (
    <div className="push-result">
      {failed ? (
        <Notice tone="error" title={`The test push to ${who} did not fully go through`}>
          {result.general_errors.length > 0 ? (
            <ul className="plain-list">
              {result.general_errors.map((g) => (
                <li key={g}>{g.charAt(0).toUpperCase() + g.slice(1)}.</li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : (
        <Notice tone="success" title={`Test push sent to ${who}`}>
          No device reported a failure. Check the phone for the notification.
        </Notice>
      )}
      {result.failures.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Devices the push failed on</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Provider</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {result.failures.map((f) => (
                <tr key={f.device_id}>
                  <td className="mono">{f.device_id}</td>
                  <td>{f.provider}</td>
                  <td>{f.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {result.rendered_apn || result.rendered_firebase ? (
        <details className="details">
          <summary>What was sent</summary>
          {result.rendered_apn ? (
            <>
              <p className="details__label">APNs payload</p>
              <pre className="code">{pretty(result.rendered_apn)}</pre>
            </>
          ) : null}
          {result.rendered_firebase ? (
            <>
              <p className="details__label">Firebase payload</p>
              <pre className="code">{pretty(result.rendered_firebase)}</pre>
            </>
          ) : null}
        </details>
      ) : null}
    </div>
  );
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
