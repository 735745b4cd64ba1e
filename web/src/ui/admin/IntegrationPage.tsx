// Settings → Integrations → Stream Chat: the keys, Connect and Test, Save (after a passing test, or "save
// anyway"), and provisioning's status.

import { useState, type FormEvent } from 'react';
import { cache, useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import { describeError } from '../../hub/errors';
import type { IntegrationTest, IntegrationView } from '../../hub/types';
import { Button } from '../common/Button';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { TextField } from '../common/Field';
import { Notice } from '../common/Notice';
import { LoadFailed, SkeletonRows } from '../common/States';
import { useToast } from '../common/toast';
import {
  formErrors,
  HOSTED_STREAM_URL,
  inputOf,
  outcomeOf,
  signatureOf,
  type FormErrors,
  type IntegrationForm,
} from './integration-logic';
import { ProvisioningCard } from './ProvisioningCard';

export function IntegrationPage() {
  const q = useQuery('integration', () => hub.integration());
  return (
    <>
      <section className="card" aria-labelledby="stream-title">
        <div className="card__head">
          <div>
            <h2 className="card__title" id="stream-title">
              Stream Chat
            </h2>
            <p className="card__sub">
              The API key is public (the apps use it); the secret stays on this server, which signs members’ chat
              tokens with it.
            </p>
          </div>
          {q.data ? <ConnectionBadge view={q.data} /> : null}
        </div>
        {q.data ? (
          // Keyed by what is stored, so a save (or another admin's) starts the form afresh from it.
          <IntegrationFormView key={storedKey(q.data)} stored={q.data} />
        ) : q.error ? (
          <LoadFailed what="the integration" error={q.error} onRetry={() => void q.refetch()} />
        ) : (
          <SkeletonRows rows={4} label="Loading the integration" />
        )}
      </section>
      <ProvisioningCard />
    </>
  );
}

function storedKey(v: IntegrationView): string {
  return v.configured ? `${v.base_url}|${v.api_key}|${v.app_id ?? ''}|${v.api_secret}` : 'none';
}

function ConnectionBadge({ view }: { view: IntegrationView }) {
  if (!view.configured) return <span className="badge badge--warning">Not connected</span>;
  return <span className="badge badge--success">{view.built_in ? 'Connected: built-in engine' : 'Connected'}</span>;
}

interface Tested {
  signature: string;
  result: IntegrationTest;
}

function IntegrationFormView({ stored }: { stored: IntegrationView }) {
  const toast = useToast();
  const [form, setForm] = useState<IntegrationForm>(() => ({
    backend: stored.configured && !stored.built_in ? 'url' : stored.configured ? 'built-in' : 'url',
    baseUrl: stored.configured && !stored.built_in ? stored.base_url : '',
    apiKey: stored.configured ? stored.api_key : '',
    apiSecret: '',
    appId: stored.configured && stored.app_id !== null ? String(stored.app_id) : '',
  }));
  const [errors, setErrors] = useState<FormErrors>({});
  const [tested, setTested] = useState<Tested | null>(null);
  const [testing, setTesting] = useState(false);
  const [saving, setSaving] = useState(false);
  const [requestError, setRequestError] = useState<string | null>(null);
  const [confirmAnyway, setConfirmAnyway] = useState(false);

  const storedSecret = stored.configured ? stored.api_secret : null;
  const signature = signatureOf(inputOf(form));
  const current = tested && tested.signature === signature ? tested.result : null;

  function set<K extends keyof IntegrationForm>(k: K, v: IntegrationForm[K]) {
    setForm((f) => ({ ...f, [k]: v }));
    setErrors((e) => ({ ...e, [k]: undefined }));
  }

  function check(): boolean {
    const e = formErrors(form, storedSecret !== null);
    setErrors(e);
    const first = Object.keys(e)[0];
    if (first) document.getElementById(`integration-${first}`)?.focus();
    return !first;
  }

  async function runTest(ev: FormEvent) {
    ev.preventDefault();
    setRequestError(null);
    if (!check()) return;
    setTesting(true);
    const input = inputOf(form);
    try {
      setTested({ signature: signatureOf(input), result: await hub.testIntegration(input) });
    } catch (e) {
      setTested(null);
      setRequestError(describeError(e));
    } finally {
      setTesting(false);
    }
  }

  async function save(anyway: boolean) {
    setRequestError(null);
    if (!check()) return;
    setSaving(true);
    const input = inputOf(form);
    try {
      const answer = await hub.saveIntegration(anyway ? { ...input, save_anyway: true } : input);
      setTested({ signature: signatureOf(input), result: answer.test });
      if (answer.saved) {
        toast.show('success', 'Saved. Provisioning runs now with these settings.');
        // Provisioning starts on save; look again shortly to show its run.
        window.setTimeout(() => void cache.fetch('provisioning', () => hub.provisioning()).catch(() => {}), 2500);
        cache.set('integration', answer.integration);
      } else {
        setRequestError('Not saved: the test did not pass (see above).');
      }
    } catch (e) {
      setRequestError(describeError(e));
      throw e;
    } finally {
      setSaving(false);
    }
  }

  const outcome = current ? outcomeOf(current) : null;
  const passed = current?.connected === true;

  return (
    <form className="form" onSubmit={(e) => void runTest(e)} noValidate aria-label="Stream Chat settings">
      <fieldset className="radio-group">
        <legend className="field__label">Chat backend</legend>
        <label className="radio">
          <input
            type="radio"
            name="backend"
            value="url"
            checked={form.backend === 'url'}
            onChange={() => set('backend', 'url')}
          />
          <span>
            Stream or another Stream-compatible server
            <span className="radio__hint">Reached at the base URL below.</span>
          </span>
        </label>
        <label className="radio">
          <input
            type="radio"
            name="backend"
            value="built-in"
            checked={form.backend === 'built-in'}
            onChange={() => set('backend', 'built-in')}
          />
          <span>
            This server’s built-in engine
            <span className="radio__hint">Rill’s own engine, reached in process.</span>
          </span>
        </label>
      </fieldset>

      {form.backend === 'url' ? (
        <TextField
          id="integration-baseUrl"
          label="Base URL"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder={HOSTED_STREAM_URL}
          hint={`Hosted Stream: ${HOSTED_STREAM_URL}`}
          value={form.baseUrl}
          onChange={(e) => set('baseUrl', e.target.value)}
          error={errors.baseUrl}
        />
      ) : null}

      <div className="form-grid">
        <TextField
          id="integration-apiKey"
          label="API Key"
          className="input--mono"
          autoComplete="off"
          spellCheck={false}
          value={form.apiKey}
          onChange={(e) => set('apiKey', e.target.value)}
          error={errors.apiKey}
        />
        <TextField
          id="integration-appId"
          label="App ID"
          aside="optional"
          inputMode="numeric"
          className="input--mono"
          autoComplete="off"
          hint="Checked against the keys when given."
          value={form.appId}
          onChange={(e) => set('appId', e.target.value)}
          error={errors.appId}
        />
      </div>

      <TextField
        id="integration-apiSecret"
        label="API Secret"
        type="password"
        className="input--mono"
        // new-password: keeps the browser from filling in the admin's own saved password.
        autoComplete="new-password"
        spellCheck={false}
        placeholder={storedSecret ? `${storedSecret} (stored)` : undefined}
        hint={
          storedSecret
            ? `A secret is stored (ending ${storedSecret.replace(/^•+/, '')}). Leave this empty to keep it; type a new one to replace it.`
            : 'Shown once in your Stream app’s dashboard. It is kept sealed on this server and never shown again.'
        }
        value={form.apiSecret}
        onChange={(e) => set('apiSecret', e.target.value)}
        error={errors.apiSecret}
      />

      {outcome && current ? (
        <Notice tone={outcome.tone} title={outcome.title}>
          <p className="outcome__advice">{outcome.advice}</p>
          {current.message ? <p className="outcome__detail mono">{current.message}</p> : null}
        </Notice>
      ) : tested ? (
        <Notice tone="info">The settings changed since the last test. Test again before saving.</Notice>
      ) : null}
      {requestError ? <Notice tone="error">{requestError}</Notice> : null}

      <div className="btn-row">
        <Button type="submit" tone={passed ? 'secondary' : 'primary'} busy={testing} disabled={saving}>
          {testing ? 'Testing…' : 'Connect and Test'}
        </Button>
        <Button
          tone="primary"
          disabled={!passed || testing}
          busy={saving}
          onClick={() => void save(false).catch(() => {})}
          aria-describedby={!passed ? 'save-why' : undefined}
        >
          {saving ? 'Saving…' : 'Save'}
        </Button>
        {current && !passed ? (
          <Button tone="ghost" onClick={() => setConfirmAnyway(true)} disabled={testing || saving}>
            Save anyway…
          </Button>
        ) : null}
      </div>
      {!passed ? (
        <p className="field__hint" id="save-why">
          Save is available once Connect and Test passes with these values.
        </p>
      ) : null}

      <ConfirmDialog
        open={confirmAnyway}
        title="Save settings that failed the test?"
        confirmLabel="Save anyway"
        busyLabel="Saving…"
        onConfirm={() => save(true)}
        onClose={() => setConfirmAnyway(false)}
      >
        <p>
          The test said: <strong>{outcome?.title}</strong>. Until the backend accepts these settings, members
          cannot open chat and provisioning will fail.
        </p>
        <p>Save them anyway, e.g. because the backend is not up yet?</p>
      </ConfirmDialog>
    </form>
  );
}
