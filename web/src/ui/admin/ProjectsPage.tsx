// Projects: list (active / completed), create, edit (name and members), complete (archives the project's channel
// for everyone, after a confirmation), reopen.

import { useMemo, useState, type FormEvent } from 'react';
import { cache, useQuery } from '../../hub/cache';
import { hub } from '../../hub/client';
import { describeError, isHubError } from '../../hub/errors';
import type { Member, Project, ProjectStatus } from '../../hub/types';
import { Button } from '../common/Button';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { Dialog } from '../common/Dialog';
import { TextField } from '../common/Field';
import { initials, plural } from '../common/format';
import { Notice } from '../common/Notice';
import { EmptyState, LoadFailed, SkeletonRows } from '../common/States';
import { Time } from '../common/Time';
import { useToast } from '../common/toast';
import { MemberPicker } from './MemberPicker';

function putProject(p: Project) {
  const list = cache.get<Project[]>('projects').data ?? [];
  const next = list.some((x) => x.id === p.id) ? list.map((x) => (x.id === p.id ? p : x)) : [...list, p];
  cache.set('projects', next.sort((a, b) => a.name.localeCompare(b.name)));
}

export function ProjectsPage() {
  const q = useQuery('projects', () => hub.projects());
  const members = useQuery('members', () => hub.members());
  const toast = useToast();
  const [tab, setTab] = useState<ProjectStatus>('active');
  const [editing, setEditing] = useState<Project | 'new' | null>(null);
  const [completing, setCompleting] = useState<Project | null>(null);

  const byStatus = useMemo(() => {
    const all = q.data ?? [];
    return { active: all.filter((p) => p.status === 'active'), completed: all.filter((p) => p.status === 'completed') };
  }, [q.data]);
  const shown = byStatus[tab];

  async function reopen(p: Project) {
    try {
      putProject(await hub.updateProject(p.id, { status: 'active' }));
      toast.show('success', `“${p.name}” is active again; its channel is back for its members.`);
    } catch (e) {
      toast.show('error', describeError(e));
    }
  }

  return (
    <>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Show projects">
          {(['active', 'completed'] as const).map((s) => (
            <button key={s} type="button" className="segmented__item" aria-pressed={tab === s} onClick={() => setTab(s)}>
              {s === 'active' ? 'Active' : 'Completed'}
              {q.data ? <span className="segmented__count">{byStatus[s].length}</span> : null}
            </button>
          ))}
        </div>
        <Button tone="primary" onClick={() => setEditing('new')}>
          New project
        </Button>
      </div>

      {q.data ? (
        shown.length > 0 ? (
          <ul className="project-list" aria-label={tab === 'active' ? 'Active projects' : 'Completed projects'}>
            {shown.map((p) => (
              <ProjectRow
                key={p.id}
                project={p}
                members={members.data ?? []}
                onEdit={() => setEditing(p)}
                onComplete={() => setCompleting(p)}
                onReopen={() => void reopen(p)}
              />
            ))}
          </ul>
        ) : tab === 'active' ? (
          <EmptyState
            title="No active projects"
            action={
              <Button tone="primary" onClick={() => setEditing('new')}>
                New project
              </Button>
            }
          >
            A project gets its own channel with exactly its members.
          </EmptyState>
        ) : (
          <EmptyState title="No completed projects">Completed projects, and their archived channels, show here.</EmptyState>
        )
      ) : q.error ? (
        <LoadFailed what="the projects" error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <SkeletonRows rows={4} label="Loading the projects" />
      )}

      <ProjectDialog
        key={editing === null ? 'closed' : editing === 'new' ? 'new' : editing.id}
        project={editing}
        members={members.data ?? []}
        onClose={() => setEditing(null)}
      />

      <ConfirmDialog
        open={completing !== null}
        title={completing ? `Complete “${completing.name}”?` : ''}
        confirmLabel="Complete and archive"
        busyLabel="Completing…"
        onClose={() => setCompleting(null)}
        onConfirm={async () => {
          if (!completing) return;
          putProject(await hub.updateProject(completing.id, { status: 'completed' }));
          toast.show('success', `“${completing.name}” is completed and its channel archived.`);
        }}
      >
        <p>
          <strong>The project’s channel will be archived for everyone.</strong> Its messages are kept, but no one
          can post in it and it leaves everyone’s channel list.
        </p>
        <p>You can reopen the project later to bring the channel back.</p>
      </ConfirmDialog>
    </>
  );
}

interface RowProps {
  project: Project;
  members: Member[];
  onEdit: () => void;
  onComplete: () => void;
  onReopen: () => void;
}

function ProjectRow({ project: p, members, onEdit, onComplete, onReopen }: RowProps) {
  const people = p.member_ids.map((id) => members.find((m) => m.id === id)).filter((m): m is Member => !!m);
  const names = people.map((m) => m.name).join(', ');
  return (
    <li className="project">
      <div className="project__main">
        <h2 className="project__name">{p.name}</h2>
        <p className="project__meta">
          {plural(p.member_ids.length, 'member')} · updated <Time iso={p.updated_at} />
          {p.status === 'completed' ? ' · channel archived' : ''}
        </p>
      </div>
      <div className="avatars" title={names} aria-label={names ? `Members: ${names}` : 'No members'} role="img">
        {people.slice(0, 5).map((m) => (
          <span key={m.id} className="avatar avatar--sm">
            {initials(m.name)}
          </span>
        ))}
        {people.length > 5 ? <span className="avatar avatar--sm avatar--more">+{people.length - 5}</span> : null}
      </div>
      <div className="btn-row project__actions">
        {p.status === 'active' ? (
          <>
            <Button size="sm" onClick={onEdit} aria-label={`Edit ${p.name}`}>
              Edit
            </Button>
            <Button size="sm" tone="ghost" onClick={onComplete} aria-label={`Complete ${p.name}`}>
              Complete
            </Button>
          </>
        ) : (
          <Button size="sm" onClick={onReopen} aria-label={`Reopen ${p.name}`}>
            Reopen
          </Button>
        )}
      </div>
    </li>
  );
}

function ProjectDialog({ project, members, onClose }: { project: Project | 'new' | null; members: Member[]; onClose: () => void }) {
  const toast = useToast();
  const existing = project !== null && project !== 'new' ? project : null;
  const [name, setName] = useState(existing?.name ?? '');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(existing?.member_ids ?? []));
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const n = name.trim();
    if (n === '' || [...n].length > 100) {
      setNameError(n === '' ? 'Enter the project’s name.' : 'Keep the name to 100 characters.');
      document.getElementById('project-name')?.focus();
      return;
    }
    setBusy(true);
    try {
      const member_ids = [...chosen];
      const saved = existing
        ? await hub.updateProject(existing.id, { name: n, member_ids })
        : await hub.createProject({ name: n, member_ids });
      putProject(saved);
      toast.show('success', existing ? `Saved “${saved.name}”.` : `Created “${saved.name}” and its channel.`);
      onClose();
    } catch (err) {
      if (isHubError(err, 'name_taken') || isHubError(err, 'invalid_name')) setNameError(describeError(err));
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      open={project !== null}
      onClose={onClose}
      busy={busy}
      size="md"
      title={existing ? `Edit “${existing.name}”` : 'New project'}
      description={existing ? undefined : 'The project gets a channel holding exactly its members.'}
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button tone="primary" type="submit" form="project-form" busy={busy}>
            {busy ? 'Saving…' : existing ? 'Save' : 'Create project'}
          </Button>
        </>
      }
    >
      <form id="project-form" className="form" onSubmit={(e) => void submit(e)} noValidate>
        <TextField
          id="project-name"
          label="Name"
          autoComplete="off"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setNameError(null);
          }}
          error={nameError}
          data-autofocus
        />
        <MemberPicker members={members} chosen={chosen} onChange={setChosen} />
        {error ? <Notice tone="error">{error}</Notice> : null}
      </form>
    </Dialog>
  );
}
