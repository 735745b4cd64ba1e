// Names for the things the API answers as codes: channels, audit actions and actors, mute durations.

import type { Member, Project } from '../../hub/types';

/** `team:general` → "#general"; a project's channel → "#Its name"; anything else as it is. */
export function channelLabel(cid: string, projects: Project[] = []): string {
  const id = cid.includes(':') ? cid.slice(cid.indexOf(':') + 1) : cid;
  const m = /^project-(.+)$/.exec(id);
  if (m) {
    const p = projects.find((x) => x.id === m[1]);
    return p ? `#${p.name}` : `#${id}`;
  }
  return `#${id}`;
}

/** The channels provisioning makes (see docs/hub-api.md): #general, #engineering and one per project. */
export function knownChannels(projects: Project[]): { cid: string; label: string }[] {
  return [
    { cid: 'team:general', label: '#general' },
    { cid: 'team:engineering', label: '#engineering' },
    ...projects.map((p) => ({ cid: `team:project-${p.id}`, label: `#${p.name}` })),
  ];
}

// The actions the Hub writes (crates/rill-hub: workspace.rs, and the integration, provisioning, push and
// moderation routes). An unknown one shows as its code.
const ACTIONS: Record<string, string> = {
  'member.add': 'Invited a member',
  'member.change': 'Changed a member',
  'member.remove': 'Removed a member',
  'project.add': 'Created a project',
  'project.change': 'Changed a project',
  'integration.save': 'Saved the integration',
  'provisioning.run': 'Ran provisioning',
  'push.save': 'Saved push settings',
  'moderation.dismiss': 'Dismissed a flag',
  'moderation.delete_message': 'Deleted a message',
  'moderation.mute': 'Muted in a channel',
  'moderation.unmute': 'Lifted a mute',
  'moderation.ban': 'Banned',
  'moderation.unban': 'Lifted a ban',
  'moderation.archive': 'Archived a channel',
  'moderation.unarchive': 'Unarchived a channel',
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

/** `member:ada@example.com` → "Ada" (when still a member) or the email; `cli` → "Command line". */
export function actorLabel(actor: string, members: Member[] = []): string {
  if (actor === 'cli') return 'Command line';
  if (actor.startsWith('member:')) {
    const email = actor.slice('member:'.length);
    return members.find((m) => m.email.toLowerCase() === email.toLowerCase())?.name ?? email;
  }
  return actor;
}

/** `ok` or `refused: CODE`. */
/** A target that is a member's or project's id reads as its name, when it still exists. */
export function targetLabel(target: string, members: Member[] = [], projects: Project[] = []): string {
  const whole = members.find((m) => m.id === target)?.name ?? projects.find((p) => p.id === target)?.name;
  if (whole) return whole;
  // Moderation targets embed ids ("<user id> in team:project-<id> for 60 min"): name the ones we know.
  return target.replace(/\b[0-9a-f]{32}\b/g, (id) => members.find((m) => m.id === id)?.name ?? projects.find((p) => p.id === id)?.name ?? id);
}

export function resultOf(result: string): { ok: boolean; code: string | null } {
  if (result === 'ok') return { ok: true, code: null };
  const m = /^refused:\s*(.+)$/.exec(result);
  return { ok: false, code: m ? m[1]! : result };
}

export const MUTE_DURATIONS: { minutes: number; label: string }[] = [
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 8 * 60, label: '8 hours' },
  { minutes: 24 * 60, label: '1 day' },
  { minutes: 7 * 24 * 60, label: '1 week' },
  { minutes: 30 * 24 * 60, label: '30 days' },
];

export const MAX_MUTE_MINUTES = 525600;

/** "1 hour", "90 minutes", "2 days": for feedback after a mute. */
export function durationLabel(minutes: number): string {
  const preset = MUTE_DURATIONS.find((d) => d.minutes === minutes);
  if (preset) return preset.label;
  if (minutes % (24 * 60) === 0) return `${minutes / (24 * 60)} days`;
  if (minutes % 60 === 0) return `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
