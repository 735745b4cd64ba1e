import type { AdminPage } from '../router';

/** The admin pages in the order the navigation shows them, with their names. */
export const ADMIN_NAV: { page: AdminPage; label: string; title: string }[] = [
  { page: 'integration', label: 'Integration', title: 'Stream Chat integration' },
  { page: 'push', label: 'Push notifications', title: 'Push notifications' },
  { page: 'members', label: 'Members', title: 'Members' },
  { page: 'projects', label: 'Projects', title: 'Projects' },
  { page: 'moderation', label: 'Moderation', title: 'Moderation queue' },
  { page: 'audit', label: 'Audit trail', title: 'Audit trail' },
  { page: 'usage', label: 'Usage', title: 'Usage' },
];

export function adminTitle(page: AdminPage): string {
  return ADMIN_NAV.find((n) => n.page === page)?.title ?? 'Admin';
}

/**
 * The workspace's name. The Hub API has no workspace-name route yet (reported), so this is the product's name
 * until it does.
 */
export const WORKSPACE_NAME = 'Rill';
