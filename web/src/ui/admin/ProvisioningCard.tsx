// Provisioning's last run: when, what it made, the step that failed, and Retry. It runs by itself after every
// change and each minute, so the card looks again every 15 seconds while it is on screen.

import { useEffect, useState } from 'react';
import { cache, useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import { describeError } from '../../hub/errors';
import type { Provisioning } from '../../hub/types';
import { Button } from '../common/Button';
import { formatNumber } from '../common/format';
import { Notice } from '../common/Notice';
import { LoadFailed, SkeletonRows } from '../common/States';
import { Time } from '../common/Time';
import { useToast } from '../common/toast';

const CHANGE_WORDS: Record<string, string> = {
  users_created: 'chat users created',
  users_updated: 'chat users updated',
  memberships_added: 'channel memberships added',
  memberships_removed: 'channel memberships removed',
  tokens_revoked: 'chat tokens revoked',
  channels_archived: 'channels archived',
  channels_unarchived: 'channels unarchived',
  channels_renamed: 'channels renamed',
};

const STATE: Record<Provisioning['state'], { label: string; tone: string }> = {
  ok: { label: 'Up to date', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
  never_run: { label: 'Not run yet', tone: 'neutral' },
  not_connected: { label: 'Waiting for a connection', tone: 'warning' },
};

export function ProvisioningCard() {
  const q = useQuery('provisioning', () => hub.provisioning());
  const toast = useToast();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { refetch } = q;

  useEffect(() => {
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') void refetch();
    }, 15000);
    return () => window.clearInterval(t);
  }, [refetch]);

  async function run() {
    setRunning(true);
    setError(null);
    try {
      const p = await hub.runProvisioning();
      cache.set('provisioning', p);
      toast.show(p.state === 'failed' ? 'error' : 'success', p.state === 'failed' ? 'Provisioning failed again.' : 'Provisioning ran.');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setRunning(false);
    }
  }

  const p = q.data;
  return (
    <section className="card" aria-labelledby="prov-title">
      <div className="card__head">
        <div>
          <h2 className="card__title" id="prov-title">
            Provisioning
          </h2>
          <p className="card__sub">
            Chat users for every member, #general and #engineering, and a channel per project. Runs after every
            change and every minute.
          </p>
        </div>
        {p ? <span className={`badge badge--${STATE[p.state].tone}`}>{STATE[p.state].label}</span> : null}
      </div>

      {p ? (
        <>
          {p.state === 'failed' ? (
            <Notice tone="error" title={p.failed_step ? `Failed at: ${p.failed_step}` : 'The last run failed'}>
              {p.error ? <p className="mono">{p.error}</p> : null}
            </Notice>
          ) : null}
          {p.state === 'not_connected' ? (
            <Notice tone="warning">Connect the integration above; provisioning starts when it is saved.</Notice>
          ) : null}
          {p.state === 'ok' || p.state === 'failed' ? <RunFacts p={p} /> : null}
          {error ? <Notice tone="error">{error}</Notice> : null}
          <div className="btn-row">
            <Button tone={p.state === 'failed' ? 'primary' : 'secondary'} busy={running} onClick={() => void run()}>
              {running ? 'Running…' : p.state === 'failed' ? 'Retry' : 'Run now'}
            </Button>
          </div>
        </>
      ) : q.error ? (
        <LoadFailed what="provisioning" error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <SkeletonRows rows={2} label="Loading provisioning" />
      )}
    </section>
  );
}

function RunFacts({ p }: { p: Provisioning }) {
  const changes = Object.entries(p.changes ?? {}).filter(([, n]) => n > 0);
  const took = p.started_at && p.finished_at ? Date.parse(p.finished_at) - Date.parse(p.started_at) : null;
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Last run</dt>
          <dd>{p.finished_at ? <Time iso={p.finished_at} /> : p.started_at ? <Time iso={p.started_at} /> : '—'}</dd>
        </div>
        {took !== null && !Number.isNaN(took) ? (
          <div>
            <dt>Took</dt>
            <dd>{took < 1000 ? `${Math.max(1, took)} ms` : `${(took / 1000).toFixed(1)} s`}</dd>
          </div>
        ) : null}
        <div>
          <dt>Members</dt>
          <dd>{p.members != null ? formatNumber(p.members) : '—'}</dd>
        </div>
        <div>
          <dt>Projects</dt>
          <dd>{p.projects != null ? formatNumber(p.projects) : '—'}</dd>
        </div>
      </dl>
      <p className="card__sub">
        {changes.length === 0
          ? 'The last run found nothing to change.'
          : 'The last run: ' + changes.map(([k, n]) => `${formatNumber(n)} ${CHANGE_WORDS[k] ?? k.replace(/_/g, ' ')}`).join(', ') + '.'}
      </p>
    </>
  );
}
