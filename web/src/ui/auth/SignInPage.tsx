// /hub/sign-in: email and password, or (with #token=… in the address) a one-time sign-in link.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { hub } from '../../hub/client';
import { describeError, isHubError } from '../../hub/errors';
import { Button } from '../common/Button';
import { TextField } from '../common/Field';
import { Notice } from '../common/Notice';
import { navigate, safeNext, useLocation } from '../router';
import { useSession } from '../session';
import { AuthLayout } from './AuthLayout';
import { LinkForm } from './LinkForm';
import { PasswordField } from './PasswordField';
import { useLinkToken } from './useLinkToken';
import { emailProblem } from './validate';

const WORDS = {
  invalid_credentials: 'That email and password do not match. Check both and try again.',
};

export function SignInPage() {
  const token = useLinkToken();
  const { state } = useSession();
  const { search } = useLocation();
  const next = safeNext(new URLSearchParams(search).get('next'));

  // Already signed in (and no link to use): on to where they were going.
  const signedIn = state.status === 'signed-in';
  useEffect(() => {
    if (signedIn && !token) navigate(next, { replace: true });
  }, [signedIn, token, next]);

  if (token) return <LinkForm kind="sign-in" token={token} next={next} />;
  if (signedIn) return null;
  return <PasswordSignIn next={next} ended={state.status === 'signed-out' && state.ended} />;
}

function PasswordSignIn({ next, ended }: { next: string; ended: boolean }) {
  const { signedIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [emailError, setEmailError] = useState<string | null>(null);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // After a 429: no point pressing again before this moment (ms).
  const [lockedUntil, setLockedUntil] = useState<number | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const emailRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (lockedUntil === null) return;
    const t = window.setTimeout(() => setLockedUntil(null), Math.max(0, lockedUntil - Date.now()));
    return () => window.clearTimeout(t);
  }, [lockedUntil]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ep = emailProblem(email);
    const pp = password === '' ? 'Enter your password.' : null;
    setEmailError(ep);
    setPasswordError(pp);
    setError(null);
    if (ep) return emailRef.current?.focus();
    if (pp) return passwordRef.current?.focus();
    setBusy(true);
    try {
      const answer = await hub.signIn(email.trim(), password);
      signedIn(answer);
      navigate(next, { replace: true });
    } catch (err) {
      setError(describeError(err, WORDS));
      if (isHubError(err, 'too_many_attempts')) {
        setLockedUntil(Date.now() + (err.retryAfterSeconds ?? 60) * 1000);
      } else if (isHubError(err, 'invalid_credentials')) {
        setPassword('');
        passwordRef.current?.focus();
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthLayout title="Sign in">
      {ended ? (
        <Notice tone="info" title="Your session ended">
          Sessions last 12 hours, and end when an admin changes your access. Sign in again to continue.
        </Notice>
      ) : null}
      <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Sign in">
        <TextField
          ref={emailRef}
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          inputMode="email"
          autoCapitalize="off"
          spellCheck={false}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={emailError}
          required
          autoFocus
        />
        <PasswordField
          ref={passwordRef}
          label="Password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
          required
        />
        {error ? <Notice tone="error">{error}</Notice> : null}
        <Button type="submit" tone="primary" busy={busy} disabled={lockedUntil !== null} className="auth__submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
      <p className="auth__foot">
        Forgot your password, or never set one? Ask an admin for a one-time sign-in link.
      </p>
    </AuthLayout>
  );
}
