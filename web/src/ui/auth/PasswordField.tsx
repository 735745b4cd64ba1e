import { useState, type InputHTMLAttributes, type ReactNode, type Ref } from 'react';
import { TextField } from '../common/Field';

/** A password field with a Show/Hide button (people mistype passwords they cannot see). */
export function PasswordField(props: { label: ReactNode; hint?: ReactNode; error?: ReactNode; aside?: ReactNode } & InputHTMLAttributes<HTMLInputElement> & { ref?: Ref<HTMLInputElement> }) {
  const [shown, setShown] = useState(false);
  return (
    <div className="password-field">
      <TextField {...props} type={shown ? 'text' : 'password'} spellCheck={false} autoCapitalize="off" />
      <button
        type="button"
        className="password-field__toggle"
        aria-pressed={shown}
        aria-label={shown ? 'Hide password' : 'Show password'}
        onClick={() => setShown((s) => !s)}
      >
        {shown ? 'Hide' : 'Show'}
      </button>
    </div>
  );
}
