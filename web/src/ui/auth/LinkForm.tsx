// Using a one-time link. A sign-in link signs in and may set a password (optional: the only way a member sets
// one, since the Hub has no change-password route); an invite link requires one.

import { useRef, useState, type FormEvent } from 'react';
import { hub } from '../../hub/client';
import { describeError, HubError, isHubError } from '../../hub/errors';
import { Button } from '../common/Button';
import { Notice } from '../common/Notice';
import { useToast } from '../common/toast';
import { Link } from '../Link';
import { navigate, pathFor } from '../router';
import { useSession } from '../session';
import { WORKSPACE_NAME } from '../shell/nav';
import { AuthLayout } from './AuthLayout';
import { PasswordField } from './PasswordField';
import { MIN_PASSWORD, passwordProblem } from './validate';

interface Props {
  kind: 'sign-in' | 'invite';
  token: string;
  next: string;
}

export function LinkForm({ kind, token, next }: Props) {
  const { signedIn } = useSession();
  const toast = useToast();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dead, setDead] = useState(false);
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  const invite = kind === 'invite';

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    // An invite needs a password; a sign-in link takes one if given.
    const pp = invite || password !== '' ? passwordProblem(password) : null;
    const cp = pp === null && password !== '' && confirm !== password ? 'The two passwords differ.' : null;
    setPasswordError(pp);
    setConfirmError(cp);
    if (pp) return passwordRef.current?.focus();
    if (cp) return confirmRef.current?.focus();
    setBusy(true);
    try {
      const answer = await hub.useLink(token, password === '' ? undefined : password);
      signedIn(answer);
      if (invite) toast.show('success', `Welcome to ${WORKSPACE_NAME}, ${answer.member.name}.`);
      navigate(next, { replace: true });
    } catch (err) {
      if (isHubError(err, 'invalid_link')) setDead(true);
      else if (isHubError(err, 'weak_password') || isHubError(err, 'password_required')) {
        setPasswordError(describeError(err));
        passwordRef.current?.focus();
      } else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (dead) {
    return (
      <AuthLayout title={invite ? 'This invite no longer works' : 'This link no longer works'}>
        <Notice tone="warning">{describeError(new HubError(400, 'invalid_link', ''))}</Notice>
        <p className="auth__foot">
          <Link href={pathFor({ name: 'sign-in' })}>Sign in with your email and password</Link>
        </p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title={invite ? `Join ${WORKSPACE_NAME}` : 'Sign in with your link'}
      intro={
        invite ? (
          <p>You were invited to this workspace. Choose a password to finish; you will sign in with it and your email.</p>
        ) : (
          <p>
            This one-time link signs you in. You can also set a new password now, so you can sign in with your
            email next time.
          </p>
        )
      }
    >
      <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label={invite ? 'Join' : 'Sign in with link'}>
        <PasswordField
          ref={passwordRef}
          label={invite ? 'Password' : 'New password'}
          aside={invite ? undefined : 'optional'}
          name="new-password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD} characters.`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
          required={invite}
          autoFocus
        />
        {invite || password !== '' ? (
          <PasswordField
            ref={confirmRef}
            label="Repeat the password"
            name="confirm-password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            error={confirmError}
            required
          />
        ) : null}
        {error ? <Notice tone="error">{error}</Notice> : null}
        <Button type="submit" tone="primary" busy={busy} className="auth__submit">
          {busy ? (invite ? 'Joining…' : 'Signing in…') : invite ? 'Join' : password ? 'Set password and sign in' : 'Sign in'}
        </Button>
      </form>
    </AuthLayout>
  );
}
