// The admin pages, in their own chunk (see App.tsx).

import type { AdminPage } from '../router';
import { AuditPage } from './AuditPage';
import { IntegrationPage } from './IntegrationPage';
import { MembersPage } from './MembersPage';
import { ModerationPage } from './ModerationPage';
import { ProjectsPage } from './ProjectsPage';
import { PushPage } from './PushPage';
import { UsagePage } from './UsagePage';

export default function AdminPages({ page }: { page: AdminPage }) {
  switch (page) {
    case 'integration':
      return <IntegrationPage />;
    case 'push':
      return <PushPage />;
    case 'members':
      return <MembersPage />;
    case 'projects':
      return <ProjectsPage />;
    case 'moderation':
      return <ModerationPage />;
    case 'audit':
      return <AuditPage />;
    case 'usage':
      return <UsagePage />;
  }
}
