// The audit trail: who did what to which target, when, and whether it was done or refused.

import { useMemo, useState } from 'react';
import { useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import type { AuditEntry } from '../../hub/types';
import { Button } from '../common/Button';
import { SelectField, TextField } from '../common/Field';
import { fullTime, plural } from '../common/format';
import { EmptyState, LoadFailed, SkeletonRows } from '../common/States';
import { Time } from '../common/Time';
import { matches } from './filter';
import { actionLabel, actorLabel, resultOf, targetLabel } from './words';

export function AuditPage() {
  const [limit, setLimit] = useState(100);
  const q = useQuery(`audit:${limit}`, () => hub.audit(limit));
  const members = useQuery('members', () => hub.members());
  const projects = useQuery('projects', () => hub.projects());
  const [filter, setFilter] = useState('');

  const rows = useMemo(() => {
    const ms = members.data ?? [];
    const ps = projects.data ?? [];
    return (q.data ?? []).map((e) => ({
      entry: e,
      who: actorLabel(e.actor, ms),
      what: actionLabel(e.action),
      target: targetLabel(e.target, ms, ps),
      result: resultOf(e.result),
    }));
  }, [q.data, members.data, projects.data]);
  const shown = rows.filter((r) => matches(filter, r.who, r.what, r.entry.action, r.target, r.entry.target, r.entry.result));

  return (
    <>
      <div className="toolbar">
        <div className="toolbar__left">
          <TextField label="Filter" type="search" placeholder="Who, what or target" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <SelectField label="Show" value={String(limit)} onChange={(e) => setLimit(Number(e.target.value))}>
            <option value="100">Latest 100</option>
            <option value="500">Latest 500</option>
            <option value="1000">Latest 1,000</option>
          </SelectField>
        </div>
        <Button onClick={() => void q.refetch()} busy={q.refreshing}>
          {q.refreshing ? 'Refreshing…' : 'Refresh'}
        </Button>
      </div>

      {q.data ? (
        shown.length > 0 ? (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">
                Audit trail, newest first{filter ? `, filtered: ${plural(shown.length, 'entry', 'entries')}` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Target</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r, i) => (
                  <AuditRow key={`${r.entry.at}-${i}`} {...r} />
                ))}
              </tbody>
            </table>
          </div>
        ) : q.data.length === 0 ? (
          <EmptyState title="Nothing yet">Changes to members, projects, the integration and moderation actions show here.</EmptyState>
        ) : (
          <EmptyState title="No entry matches">Try another word, or clear the filter.</EmptyState>
        )
      ) : q.error ? (
        <LoadFailed what="the audit trail" error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <SkeletonRows rows={6} label="Loading the audit trail" />
      )}
    </>
  );
}

function AuditRow({ entry, who, what, target, result }: { entry: AuditEntry; who: string; what: string; target: string; result: { ok: boolean; code: string | null } }) {
  return (
    <tr>
      <td className="nowrap">
        <Time iso={entry.at} />
        <span className="visually-hidden">, {fullTime(entry.at)}</span>
      </td>
      <td title={entry.actor}>{who}</td>
      <td>
        {what}
        {what !== entry.action ? <div className="muted mono audit__code">{entry.action}</div> : null}
      </td>
      <td className="audit__target" title={entry.target}>
        {target}
      </td>
      <td>
        {result.ok ? (
          <span className="badge badge--success">Done</span>
        ) : (
          <span className="badge badge--danger" title={entry.result}>
            Refused: {result.code}
          </span>
        )}
      </td>
    </tr>
  );
}
