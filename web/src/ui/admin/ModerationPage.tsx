// The moderation queue: flagged messages newest first, 25 a page; per message dismiss, delete, mute the author
// in that channel for a chosen time, or ban them; every action with feedback, and mutes and bans can be
// lifted (from the feedback at once, or later from "Lift a mute or ban").

import { useState, type FormEvent } from 'react';
import { cache, useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import { describeError } from '../../hub/errors';
import type { FlaggedMessage, ModerationAction, Project } from '../../hub/types';
import { Button } from '../common/Button';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { Dialog } from '../common/Dialog';
import { SelectField, TextField } from '../common/Field';
import { initials, plural } from '../common/format';
import { Notice } from '../common/Notice';
import { EmptyState, LoadFailed, SkeletonRows } from '../common/States';
import { Time } from '../common/Time';
import { useToast } from '../common/toast';
import { channelLabel, durationLabel, knownChannels, MAX_MUTE_MINUTES, MUTE_DURATIONS } from './words';

const PAGE = 25;

type Pending =
  | { kind: 'delete'; item: FlaggedMessage }
  | { kind: 'mute'; item: FlaggedMessage }
  | { kind: 'ban'; item: FlaggedMessage };

/** Runs one action and says how it went; returns whether it was done. */
function useModerate() {
  const toast = useToast();
  return async function moderate(action: ModerationAction, done: string, undo?: { label: string; action: ModerationAction; done: string }): Promise<void> {
    await hub.moderate(action);
    toast.show(
      'success',
      done,
      undo
        ? {
            label: undo.label,
            run: () =>
              void hub.moderate(undo.action).then(
                () => toast.show('success', undo.done),
                (e: unknown) => toast.show('error', describeError(e)),
              ),
          }
        : undefined,
    );
  };
}

export function ModerationPage() {
  const [offset, setOffset] = useState(0);
  const key = `moderation:${offset}`;
  // One more than a page, to know whether there is a next one (the API gives no total).
  const q = useQuery(key, () => hub.moderationQueue(offset, PAGE + 1));
  const projects = useQuery('projects', () => hub.projects());
  const [pending, setPending] = useState<Pending | null>(null);
  const toast = useToast();
  const moderate = useModerate();

  const items = (q.data ?? []).slice(0, PAGE);
  const hasMore = (q.data?.length ?? 0) > PAGE;
  const ps = projects.data ?? [];

  /** Takes an acted-on message out of the page at once, then asks for the page again. */
  function drop(messageId: string) {
    cache.set(key, (cache.get<FlaggedMessage[]>(key).data ?? []).filter((i) => i.message_id !== messageId));
    void q.refetch();
  }

  async function dismiss(item: FlaggedMessage) {
    try {
      await moderate({ action: 'dismiss', message_id: item.message_id }, 'Dismissed: the message stays and leaves the queue.');
      drop(item.message_id);
    } catch (e) {
      toast.show('error', describeError(e));
    }
  }

  return (
    <>
      <div className="toolbar">
        <p className="muted toolbar__count" aria-live="polite">
          {q.data ? (items.length === 0 ? '' : `Showing ${offset + 1}–${offset + items.length}${hasMore ? '' : ` of ${offset + items.length}`}`) : ''}
        </p>
        <Button onClick={() => void q.refetch()} busy={q.refreshing}>
          {q.refreshing ? 'Refreshing…' : 'Refresh'}
        </Button>
      </div>

      {q.data ? (
        items.length > 0 ? (
          <ul className="flags" aria-label="Flagged messages">
            {items.map((item) => (
              <FlagCard
                key={item.message_id}
                item={item}
                projects={ps}
                onDismiss={() => void dismiss(item)}
                onDelete={() => setPending({ kind: 'delete', item })}
                onMute={() => setPending({ kind: 'mute', item })}
                onBan={() => setPending({ kind: 'ban', item })}
              />
            ))}
          </ul>
        ) : offset > 0 ? (
          <EmptyState title="No more flagged messages" action={<Button onClick={() => setOffset(0)}>Back to the newest</Button>} />
        ) : (
          <EmptyState title="Nothing to review">When members flag a message, it shows here.</EmptyState>
        )
      ) : q.error ? (
        <LoadFailed what="the moderation queue" error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <SkeletonRows rows={4} label="Loading the moderation queue" />
      )}

      {offset > 0 || hasMore ? (
        <nav className="pager" aria-label="Pages of the queue">
          <Button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </Button>
          <Button disabled={!hasMore} onClick={() => setOffset(offset + PAGE)}>
            Older
          </Button>
        </nav>
      ) : null}

      <LiftCard projects={ps} />

      <ConfirmDialog
        open={pending?.kind === 'delete'}
        title="Delete this message?"
        confirmLabel="Delete message"
        busyLabel="Deleting…"
        onClose={() => setPending(null)}
        onConfirm={async () => {
          if (pending?.kind !== 'delete') return;
          await moderate({ action: 'delete_message', message_id: pending.item.message_id }, 'Deleted the message for everyone.');
          drop(pending.item.message_id);
        }}
      >
        <p>It is removed from {channelLabel(pending?.item.channel_cid ?? '', ps)} for everyone. This cannot be undone.</p>
        {pending ? <blockquote className="flag__quote">{pending.item.text}</blockquote> : null}
      </ConfirmDialog>

      <MuteDialog
        key={pending?.kind === 'mute' ? pending.item.message_id : 'none'}
        item={pending?.kind === 'mute' ? pending.item : null}
        projects={ps}
        onClose={() => setPending(null)}
        moderate={moderate}
      />
      <BanDialog
        key={pending?.kind === 'ban' ? `ban-${pending.item.message_id}` : 'no-ban'}
        item={pending?.kind === 'ban' ? pending.item : null}
        onClose={() => setPending(null)}
        moderate={moderate}
      />
    </>
  );
}

interface CardProps {
  item: FlaggedMessage;
  projects: Project[];
  onDismiss: () => void;
  onDelete: () => void;
  onMute: () => void;
  onBan: () => void;
}

function FlagCard({ item, projects, onDismiss, onDelete, onMute, onBan }: CardProps) {
  const author = item.author_name || item.author_id;
  const channel = channelLabel(item.channel_cid, projects);
  const headingId = `flag-${item.message_id}`;
  return (
    <li className="flag" aria-labelledby={headingId}>
      <div className="flag__head">
        <span className="avatar" aria-hidden="true">
          {initials(author)}
        </span>
        <div className="flag__who">
          <h2 className="flag__author" id={headingId}>
            {author} <span className="muted flag__in">in {channel}</span>
          </h2>
          <p className="flag__meta">
            Flagged {item.flag_count === 1 ? 'once' : `${plural(item.flag_count, 'time')}`} · last <Time iso={item.last_flagged_at} />
          </p>
        </div>
        <ul className="flag__reasons" aria-label="Reasons">
          {item.reasons.length > 0 ? (
            item.reasons.map((r) => (
              <li key={r} className="badge badge--warning">
                {r}
              </li>
            ))
          ) : (
            <li className="badge badge--neutral">no reason given</li>
          )}
        </ul>
      </div>
      <blockquote className="flag__quote">{item.text || <span className="muted">(no text: an attachment only)</span>}</blockquote>
      <div className="btn-row">
        <Button size="sm" onClick={onDismiss} aria-label={`Dismiss the flag on ${author}’s message`}>
          Dismiss
        </Button>
        <Button size="sm" onClick={onDelete} aria-label={`Delete ${author}’s message`}>
          Delete message
        </Button>
        <Button size="sm" onClick={onMute} aria-label={`Mute ${author} in ${channel}`}>
          Mute in {channel}…
        </Button>
        <Button size="sm" tone="ghost" className="btn--danger-text" onClick={onBan} aria-label={`Ban ${author}`}>
          Ban…
        </Button>
      </div>
    </li>
  );
}

type Moderate = ReturnType<typeof useModerate>;

function MuteDialog({ item, projects, onClose, moderate }: { item: FlaggedMessage | null; projects: Project[]; onClose: () => void; moderate: Moderate }) {
  const [choice, setChoice] = useState('60');
  const [custom, setCustom] = useState('');
  const [reason, setReason] = useState('');
  const [customError, setCustomError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!item) return <Dialog open={false} onClose={onClose} title="">{null}</Dialog>;
  const author = item.author_name || item.author_id;
  const channel = channelLabel(item.channel_cid, projects);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!item) return;
    const minutes = choice === 'custom' ? Number(custom) : Number(choice);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MUTE_MINUTES) {
      setCustomError('Enter whole minutes from 1 to 525,600 (a year).');
      document.getElementById('mute-minutes')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const who = { user_id: item.author_id, channel_cid: item.channel_cid };
      await moderate(
        { action: 'mute', ...who, minutes, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        `${author} is muted in ${channel} for ${durationLabel(minutes)}.`,
        { label: 'Lift', action: { action: 'unmute', ...who }, done: `Lifted ${author}’s mute in ${channel}.` },
      );
      onClose();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      open
      onClose={onClose}
      busy={busy}
      title={`Mute ${author} in ${channel}`}
      description="They keep reading the channel but cannot post in it until the time is up."
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button tone="primary" type="submit" form="mute-form" busy={busy}>
            {busy ? 'Muting…' : 'Mute'}
          </Button>
        </>
      }
    >
      <form id="mute-form" className="form" onSubmit={(e) => void submit(e)} noValidate>
        <SelectField label="For" value={choice} onChange={(e) => setChoice(e.target.value)} data-autofocus>
          {MUTE_DURATIONS.map((d) => (
            <option key={d.minutes} value={String(d.minutes)}>
              {d.label}
            </option>
          ))}
          <option value="custom">Another length…</option>
        </SelectField>
        {choice === 'custom' ? (
          <TextField
            id="mute-minutes"
            label="Minutes"
            inputMode="numeric"
            value={custom}
            onChange={(e) => {
              setCustom(e.target.value);
              setCustomError(null);
            }}
            error={customError}
            hint="From 1 to 525,600 (a year)."
          />
        ) : null}
        <TextField label="Reason" aside="optional" value={reason} onChange={(e) => setReason(e.target.value)} hint="Kept with the mute in the chat backend." />
        {error ? <Notice tone="error">{error}</Notice> : null}
      </form>
    </Dialog>
  );
}

function BanDialog({ item, onClose, moderate }: { item: FlaggedMessage | null; onClose: () => void; moderate: Moderate }) {
  const [reason, setReason] = useState('');
  const author = item ? item.author_name || item.author_id : '';
  return (
    <ConfirmDialog
      open={item !== null}
      title={`Ban ${author} from chat?`}
      confirmLabel="Ban"
      busyLabel="Banning…"
      onClose={onClose}
      onConfirm={async () => {
        if (!item) return;
        await moderate(
          { action: 'ban', user_id: item.author_id, ...(reason.trim() ? { reason: reason.trim() } : {}) },
          `${author} is banned from chat.`,
          { label: 'Lift ban', action: { action: 'unban', user_id: item.author_id }, done: `Lifted ${author}’s ban.` },
        );
      }}
    >
      <p>They cannot post in any channel until the ban is lifted. They stay a member of the workspace.</p>
      <TextField label="Reason" aside="optional" value={reason} onChange={(e) => setReason(e.target.value)} />
    </ConfirmDialog>
  );
}

/** Lifting a mute or a ban later: the queue does not say who is muted, so the admin names the member. */
function LiftCard({ projects }: { projects: Project[] }) {
  const members = useQuery('members', () => hub.members());
  const toast = useToast();
  const [memberId, setMemberId] = useState('');
  const [what, setWhat] = useState<'unmute' | 'unban'>('unmute');
  const [channel, setChannel] = useState('team:general');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const channels = knownChannels(projects);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (!memberId) {
      setError('Choose the member first.');
      return;
    }
    const name = members.data?.find((m) => m.id === memberId)?.name ?? 'The member';
    setBusy(true);
    try {
      if (what === 'unban') {
        await hub.moderate({ action: 'unban', user_id: memberId });
        toast.show('success', `Lifted ${name}’s ban.`);
      } else {
        await hub.moderate({ action: 'unmute', user_id: memberId, channel_cid: channel });
        toast.show('success', `Lifted ${name}’s mute in ${channelLabel(channel, projects)}.`);
      }
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="lift-title">
      <div>
        <h2 className="card__title" id="lift-title">
          Lift a mute or ban
        </h2>
        <p className="card__sub">Mutes end by themselves when their time is up; bans last until lifted.</p>
      </div>
      <form className="lift" onSubmit={(e) => void submit(e)} noValidate aria-label="Lift a mute or ban">
        <SelectField label="Member" value={memberId} onChange={(e) => setMemberId(e.target.value)}>
          <option value="">Choose…</option>
          {(members.data ?? []).map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} ({m.email})
            </option>
          ))}
        </SelectField>
        <SelectField label="Lift" value={what} onChange={(e) => setWhat(e.target.value as 'unmute' | 'unban')}>
          <option value="unmute">A mute in a channel</option>
          <option value="unban">A ban</option>
        </SelectField>
        {what === 'unmute' ? (
          <SelectField label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
            {channels.map((c) => (
              <option key={c.cid} value={c.cid}>
                {c.label}
              </option>
            ))}
          </SelectField>
        ) : null}
        <Button type="submit" busy={busy}>
          {busy ? 'Lifting…' : 'Lift'}
        </Button>
      </form>
      {error ? <Notice tone="error">{error}</Notice> : null}
    </section>
  );
}
