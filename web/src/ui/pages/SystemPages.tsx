// The pages that are not features: loading the session, the server unreachable, admins only, not found.

import { describeError } from '../../hub/errors';
import { Button } from '../common/Button';
import { Link } from '../Link';
import { pathFor } from '../router';
import { useSession } from '../session';
import { WORKSPACE_NAME } from '../shell/nav';
import './system.css';

/** While GET /auth/me answers (usually a few ms): the brand, no spinner, so a fast answer shows no flash. */
export function Splash() {
  return (
    <div className="system system--splash" role="status" aria-label="Loading">
      <span className="system__logo" aria-hidden="true">
        {WORKSPACE_NAME.charAt(0)}
      </span>
    </div>
  );
}

export function Unreachable({ error }: { error: unknown }) {
  const { recheck } = useSession();
  return (
    <main className="system">
      <h1 className="system__title">Rill could not be reached</h1>
      <p className="system__text">{describeError(error)}</p>
      <Button tone="primary" onClick={() => void recheck()}>
        Try again
      </Button>
    </main>
  );
}

export function AdminsOnly() {
  const { member } = useSession();
  return (
    <div className="system">
      <h1 className="system__title">Admins only</h1>
      <p className="system__text">
        This page is for the workspace's admins, and you are signed in as a member
        {member ? ` (${member.email})` : ''}. If you need access, ask an admin to change your role.
      </p>
      <Link className="btn btn--secondary" href={pathFor({ name: 'chat' })}>
        Back to chat
      </Link>
    </div>
  );
}

export function NotFound() {
  return (
    <div className="system">
      <h1 className="system__title">Nothing here</h1>
      <p className="system__text">This address is not a page of {WORKSPACE_NAME}. It may have been mistyped.</p>
      <Link className="btn btn--secondary" href={pathFor({ name: 'chat' })}>
        Back to chat
      </Link>
    </div>
  );
}
