// Members: the list, invite (with the one-time link to copy), change role, remove.

import { useMemo, useState, type FormEvent } from 'react';
import { cache, useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import { describeError } from '../../hub/errors';
import type { Member, Role } from '../../hub/types';
import { emailProblem, nameProblem } from '../auth/validate';
import { Button } from '../common/Button';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { CopyField } from '../common/CopyField';
import { Dialog } from '../common/Dialog';
import { SelectField, TextField } from '../common/Field';
import { initials, plural } from '../common/format';
import { Notice } from '../common/Notice';
import { EmptyState, LoadFailed, SkeletonRows } from '../common/States';
import { Time } from '../common/Time';
import { useToast } from '../common/toast';
import { useSession } from '../session';
import { matches } from './filter';

const ROLE_WORDS = { last_admin: 'The workspace needs at least one admin. Make someone else an admin first.' };

export function MembersPage() {
  const q = useQuery('members', () => hub.members());
  const [filter, setFilter] = useState('');
  const [inviting, setInviting] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const { member: me } = useSession();

  const shown = useMemo(() => (q.data ?? []).filter((m) => matches(filter, m.name, m.email)), [q.data, filter]);

  return (
    <>
      <div className="toolbar">
        <div className="toolbar__left">
          <TextField
            label="Find a member"
            type="search"
            placeholder="Name or email"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          {q.data ? (
            <span className="muted toolbar__count" aria-live="polite">
              {filter ? `${shown.length} of ${plural(q.data.length, 'member')}` : plural(q.data.length, 'member')}
            </span>
          ) : null}
        </div>
        <Button tone="primary" onClick={() => setInviting(true)}>
          Invite a member
        </Button>
      </div>

      {q.data ? (
        shown.length > 0 ? (
          <MembersTable members={shown} me={me} onRemove={setRemoving} />
        ) : (
          <EmptyState title="No member matches">Try part of a name or an email address.</EmptyState>
        )
      ) : q.error ? (
        <LoadFailed what="the members" error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <SkeletonRows rows={5} label="Loading the members" />
      )}

      <InviteDialog open={inviting} onClose={() => setInviting(false)} />
      <ConfirmDialog
        open={removing !== null}
        title={removing ? `Remove ${removing.name}?` : ''}
        confirmLabel="Remove"
        busyLabel="Removing…"
        errorWords={{ last_admin: 'This is the only admin: make someone else an admin before removing them.' }}
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          await hub.removeMember(removing.id);
          cache.set('members', (cache.get<Member[]>('members').data ?? []).filter((m) => m.id !== removing.id));
          void cache.fetch('members', () => hub.members()).catch(() => {});
        }}
      >
        <p>
          {removing?.name} ({removing?.email}) is signed out at once, their links stop working, and they leave
          every project and its channel. Their messages stay.
        </p>
        <p>You can invite the same email again later.</p>
      </ConfirmDialog>
    </>
  );
}

function MembersTable({ members, me, onRemove }: { members: Member[]; me: Member | null; onRemove: (m: Member) => void }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Members of the workspace</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <td>
                <div className="cell-person">
                  <span className="avatar" aria-hidden="true">
                    {initials(m.name)}
                  </span>
                  <div>
                    <div className="cell-person__name">
                      {m.name} {m.id === me?.id ? <span className="badge badge--neutral">You</span> : null}
                    </div>
                    <div className="cell-person__sub">{m.email}</div>
                  </div>
                </div>
              </td>
              <td>
                <RoleSelect member={m} isMe={m.id === me?.id} />
              </td>
              <td>
                {m.has_password ? (
                  <span className="badge badge--success">Active</span>
                ) : (
                  <span className="badge badge--warning" title="Has not used their invite link yet">
                    Invited
                  </span>
                )}
              </td>
              <td className="muted">
                <Time iso={m.created_at} />
              </td>
              <td className="num">
                {m.id === me?.id ? null : (
                  <Button size="sm" tone="ghost" onClick={() => onRemove(m)} aria-label={`Remove ${m.name}`}>
                    Remove
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RoleSelect({ member, isMe }: { member: Member; isMe: boolean }) {
  const toast = useToast();
  const { recheck } = useSession();
  const [busy, setBusy] = useState(false);
  const [confirmSelf, setConfirmSelf] = useState(false);

  async function change(role: Role) {
    setBusy(true);
    try {
      const updated = await hub.updateMember(member.id, { role });
      cache.set('members', (cache.get<Member[]>('members').data ?? []).map((m) => (m.id === updated.id ? updated : m)));
      toast.show('success', `${updated.name} is now ${role === 'admin' ? 'an admin' : 'a member'}.`);
      if (isMe) await recheck();
    } catch (e) {
      toast.show('error', describeError(e, ROLE_WORDS));
      throw e;
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <label className="visually-hidden" htmlFor={`role-${member.id}`}>
        Role of {member.name}
      </label>
      <select
        id={`role-${member.id}`}
        className="input input--select input--compact"
        value={member.role}
        disabled={busy}
        aria-busy={busy || undefined}
        onChange={(e) => {
          const role = e.target.value as Role;
          if (isMe && role === 'member') setConfirmSelf(true);
          else void change(role).catch(() => {});
        }}
      >
        <option value="admin">Admin</option>
        <option value="member">Member</option>
      </select>
      <ConfirmDialog
        open={confirmSelf}
        title="Stop being an admin?"
        confirmLabel="Make me a member"
        busyLabel="Changing…"
        errorWords={ROLE_WORDS}
        onClose={() => setConfirmSelf(false)}
        onConfirm={() => change('member')}
      >
        <p>You will lose access to these admin pages at once. Another admin can make you an admin again.</p>
      </ConfirmDialog>
    </>
  );
}

function InviteDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<{ email?: string; name?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [invited, setInvited] = useState<{ member: Member; url: string } | null>(null);

  function close() {
    setEmail('');
    setName('');
    setRole('member');
    setErrors({});
    setError(null);
    setInvited(null);
    onClose();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const errs = { email: emailProblem(email) ?? undefined, name: nameProblem(name) ?? undefined };
    setErrors(errs);
    setError(null);
    if (errs.email || errs.name) {
      document.getElementById(errs.email ? 'invite-email' : 'invite-name')?.focus();
      return;
    }
    setBusy(true);
    try {
      const answer = await hub.invite({ email: email.trim(), name: name.trim(), role });
      setInvited({ member: answer.member, url: new URL(answer.invite_url, window.location.origin).href });
      cache.set('members', [...(cache.get<Member[]>('members').data ?? []), answer.member].sort((a, b) => a.email.localeCompare(b.email)));
    } catch (err) {
      const words = describeError(err);
      if ((err as { code?: string }).code === 'email_taken') setErrors({ email: words });
      else if ((err as { code?: string }).code === 'invalid_email') setErrors({ email: words });
      else if ((err as { code?: string }).code === 'invalid_name') setErrors({ name: words });
      else setError(words);
    } finally {
      setBusy(false);
    }
  }

  // One dialog for both steps, so focus stays inside it and returns to "Invite a member" at the end.
  return (
    <Dialog
      open={open}
      onClose={close}
      busy={busy}
      title={invited ? `${invited.member.name} is invited` : 'Invite a member'}
      description={invited ? undefined : 'They get a one-time link to choose a password and join.'}
      size="md"
      footer={
        invited ? (
          <Button tone="primary" onClick={close}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button tone="primary" type="submit" form="invite-form" busy={busy}>
              {busy ? 'Inviting…' : 'Invite'}
            </Button>
          </>
        )
      }
    >
      {invited ? (
        <>
          <Notice tone="success">
            Send them this link. It works once, for 24 hours, and sets their password. It will not be shown again.
          </Notice>
          <CopyField label="Invite link" value={invited.url} autoFocus />
        </>
      ) : (
      <form id="invite-form" className="form" onSubmit={(e) => void submit(e)} noValidate>
        <TextField
          id="invite-email"
          label="Email"
          type="email"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
          data-autofocus
        />
        <TextField
          id="invite-name"
          label="Name"
          autoComplete="off"
          hint="How others see them in chat."
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
        />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} hint="Admins can open these admin pages.">
          <option value="member">Member</option>
          <option value="admin">Admin</option>
        </SelectField>
        {error ? <Notice tone="error">{error}</Notice> : null}
      </form>
      )}
    </Dialog>
  );
}
