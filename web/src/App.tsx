// The app: the session decides between the signed-out pages and the shell; the route picks the page.

import { lazy, Suspense, useEffect } from 'react';
import { AdminLayout } from './ui/admin/AdminLayout';
import { InvitePage } from './ui/auth/InvitePage';
import { SignInPage } from './ui/auth/SignInPage';
import { ChatProvider } from './ui/chat-app/ChatContext';
import { ChatView } from './ui/chat-app/ChatView';
import { SkeletonRows } from './ui/common/States';
import { ToastProvider } from './ui/common/toast';
import { AdminsOnly, NotFound, Splash, Unreachable } from './ui/pages/SystemPages';
import { navigate, pathFor, useLocation, useRoute, type Route } from './ui/router';
import { SessionProvider, useSession } from './ui/session';
import { adminTitle, WORKSPACE_NAME } from './ui/shell/nav';
import { Shell } from './ui/shell/Shell';

// The admin pages are their own chunk: most visits are members chatting, who never load them.
const AdminPages = lazy(() => import('./ui/admin/AdminPages'));

export function App() {
  return (
    <SessionProvider>
      <ToastProvider>
        <Routes />
      </ToastProvider>
    </SessionProvider>
  );
}

function titleOf(route: Route): string {
  switch (route.name) {
    case 'chat':
      return 'Chat';
    case 'sign-in':
      return 'Sign in';
    case 'invite':
      return 'Join';
    case 'admin':
      return adminTitle(route.page);
    case 'not-found':
      return 'Not found';
  }
}

function Routes() {
  const { state, isAdmin } = useSession();
  const route = useRoute();
  const { pathname, search } = useLocation();
  const title = titleOf(route);

  useEffect(() => {
    document.title = `${title} · ${WORKSPACE_NAME}`;
  }, [title]);

  const signedOut = state.status === 'signed-out';
  const authPage = route.name === 'sign-in' || route.name === 'invite';
  useEffect(() => {
    // Signed out on a page that needs a session: to sign-in, coming back here afterwards.
    if (signedOut && !authPage) {
      const next = encodeURIComponent(pathname + search);
      navigate(`${pathFor({ name: 'sign-in' })}?next=${next}`, { replace: true });
    }
  }, [signedOut, authPage, pathname, search]);

  // Links work whatever the session (an invite can be used while someone else is signed in on this browser).
  if (route.name === 'invite') return <InvitePage />;
  if (route.name === 'sign-in' && state.status !== 'checking') return <SignInPage />;

  if (state.status === 'checking') return <Splash />;
  if (state.status === 'unreachable') return <Unreachable error={state.error} />;
  if (state.status === 'signed-out') return null;

  return (
    // The chat client lives as long as the session: the sidebar's list stays current on admin pages too.
    <ChatProvider memberId={state.session.member.id}>
      <Shell title={title}>
        {route.name === 'chat' ? <ChatView cid={route.cid} /> : null}
        {route.name === 'admin' ? (
          isAdmin ? (
            <AdminLayout page={route.page}>
              <Suspense fallback={<SkeletonRows label="Loading the page" />}>
                <AdminPages page={route.page} />
              </Suspense>
            </AdminLayout>
          ) : (
            <AdminsOnly />
          )
        ) : null}
        {route.name === 'not-found' ? <NotFound /> : null}
      </Shell>
    </ChatProvider>
  );
}
