// Who is signed in. Checked with GET /hub/api/auth/me on load; updated by sign-in, links and sign-out; and
// ended when any call learns the session expired (the client's onSignedOut).

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { cache } from '../hub/cache';
import { hub } from '../hub/client';
import type { Member, SessionAnswer } from '../hub/types';

export type SessionState =
  | { status: 'checking' }
  | { status: 'unreachable'; error: unknown }
  | { status: 'signed-out'; /** The session ended under them (expired, or removed by an admin). */ ended: boolean }
  | { status: 'signed-in'; session: SessionAnswer };

interface SessionApi {
  state: SessionState;
  /** The signed-in member, or null. */
  member: Member | null;
  isAdmin: boolean;
  /** After sign-in or a link: the session answer. */
  signedIn: (answer: SessionAnswer) => void;
  signOut: () => Promise<void>;
  /** Asks the server again (e.g. after "could not reach" or a role change of one's own). */
  recheck: () => Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'checking' });

  const recheck = useCallback(async () => {
    try {
      const answer = await hub.currentSession();
      setState(answer ? { status: 'signed-in', session: answer } : { status: 'signed-out', ended: false });
    } catch (error) {
      setState({ status: 'unreachable', error });
    }
  }, []);

  useEffect(() => {
    hub.onSignedOut = () => {
      cache.clear();
      setState({ status: 'signed-out', ended: true });
    };
    void recheck();
    return () => {
      hub.onSignedOut = undefined;
    };
  }, [recheck]);

  const signedIn = useCallback((session: SessionAnswer) => {
    cache.clear();
    setState({ status: 'signed-in', session });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await hub.signOut();
    } finally {
      // Signed out locally even if the server could not be told: the cookie expires in any case.
      cache.clear();
      setState({ status: 'signed-out', ended: false });
    }
  }, []);

  const api = useMemo<SessionApi>(() => {
    const member = state.status === 'signed-in' ? state.session.member : null;
    return { state, member, isAdmin: member?.role === 'admin', signedIn, signOut, recheck };
  }, [state, signedIn, signOut, recheck]);

  return <SessionContext.Provider value={api}>{children}</SessionContext.Provider>;
}
