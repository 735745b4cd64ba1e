// Usage: monthly active users and messages against the plan, as bars, with the 80 % and 100 % warnings, and
// the "estimate" label when the Hub estimated (the backend has no usage API).

import { useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import type { Usage, UsageMeter } from '../../hub/types';
import { Button } from '../common/Button';
import { formatNumber } from '../common/format';
import { Notice } from '../common/Notice';
import { LoadFailed, SkeletonRows } from '../common/States';
import { levelOf, monthName, percentOf, planName, resetDate } from './usage-logic';

export function UsagePage() {
  const q = useQuery('usage', () => hub.usage());
  if (!q.data) {
    return q.error ? (
      <LoadFailed what="usage" error={q.error} onRetry={() => void q.refetch()} />
    ) : (
      <SkeletonRows rows={2} label="Loading usage" />
    );
  }
  const u = q.data;
  const reset = resetDate(u.month);
  return (
    <>
      <div className="toolbar">
        <p className="usage__plan">
          <span className="badge badge--accent">{planName(u.plan)} plan</span>{' '}
          <span className="muted">
            {monthName(u.month)}
            {reset ? ` · counts start again on ${reset}` : ''}
          </span>
          {u.estimate ? <span className="badge badge--warning usage__estimate">Estimate</span> : null}
        </p>
        <Button onClick={() => void q.refetch()} busy={q.refreshing}>
          {q.refreshing ? 'Refreshing…' : 'Refresh'}
        </Button>
      </div>
      {u.estimate ? (
        <Notice tone="info" title="These numbers are an estimate">
          The chat backend does not report usage, so the Hub counts the members given a chat token this month,
          each once. The backend’s own count (e.g. Stream’s dashboard) decides billing.
        </Notice>
      ) : null}
      <div className="usage">
        <MeterCard title="Monthly active users" unit="active users" meter={u.monthly_active_users} usage={u} />
        {u.messages ? (
          <MeterCard title="Messages" unit="messages" meter={u.messages} usage={u} />
        ) : (
          <section className="card" aria-labelledby="usage-messages">
            <h2 className="card__title" id="usage-messages">
              Messages
            </h2>
            <p className="card__sub">Not reported by this backend{u.estimate ? ' (and the Hub cannot estimate them)' : ''}.</p>
          </section>
        )}
      </div>
    </>
  );
}

function MeterCard({ title, unit, meter, usage }: { title: string; unit: string; meter: UsageMeter; usage: Usage }) {
  const pct = percentOf(meter);
  const level = levelOf(meter);
  const id = `usage-${unit.replace(/\s+/g, '-')}`;
  const valueText =
    meter.limit === null
      ? `${formatNumber(meter.count)} ${unit}, no limit`
      : `${formatNumber(meter.count)} of ${formatNumber(meter.limit)} ${unit}, ${pct} percent`;
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card__head">
        <h2 className="card__title" id={id}>
          {title}
        </h2>
        {level !== 'fine' ? (
          <span className={`badge badge--${level === 'full' ? 'danger' : 'warning'}`}>{level === 'full' ? 'Limit reached' : 'Over 80 %'}</span>
        ) : null}
      </div>
      <p className="usage__numbers">
        <span className="usage__count">{formatNumber(meter.count)}</span>
        <span className="muted">{meter.limit === null ? ` ${unit} · no limit on this plan` : ` of ${formatNumber(meter.limit)} ${unit}`}</span>
      </p>
      <div
        className={`bar bar--${level}`}
        role="meter"
        aria-label={title}
        aria-valuemin={0}
        aria-valuemax={meter.limit ?? Math.max(meter.count, 1)}
        aria-valuenow={meter.count}
        aria-valuetext={valueText}
      >
        <div className="bar__fill" style={{ width: pct === null ? '0%' : `${Math.max(pct, meter.count > 0 ? 1 : 0)}%` }} />
        <span className="bar__tick" style={{ left: '80%' }} aria-hidden="true" />
      </div>
      {pct !== null ? <p className="card__sub">{pct} % of the {planName(usage.plan)} plan.</p> : null}
      {level === 'warning' ? (
        <Notice tone="warning" title="80 % of the plan is used">
          At this pace the limit may be reached before the month ends. Consider a larger plan.
        </Notice>
      ) : null}
      {level === 'full' ? (
        <Notice tone="error" title="The plan’s limit is reached">
          The backend may refuse further use until the counts start again, or until the plan grows.
        </Notice>
      ) : null}
    </section>
  );
}
