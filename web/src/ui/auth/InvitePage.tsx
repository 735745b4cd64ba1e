// /hub/invite#token=…: joining the workspace from an invite link.

import { Link } from '../Link';
import { pathFor } from '../router';
import { AuthLayout } from './AuthLayout';
import { LinkForm } from './LinkForm';
import { useLinkToken } from './useLinkToken';

export function InvitePage() {
  const token = useLinkToken();
  if (token) return <LinkForm kind="invite" token={token} next={pathFor({ name: 'chat' })} />;
  return (
    <AuthLayout
      title="Open your invite link"
      intro={
        <p>
          This page needs the invite link an admin sent you. Open that link again (it works until you use it, for
          24 hours), or ask the admin for a new one.
        </p>
      }
    >
      <p className="auth__foot">
        Already joined? <Link href={pathFor({ name: 'sign-in' })}>Sign in</Link>
      </p>
    </AuthLayout>
  );
}
