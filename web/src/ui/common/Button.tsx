import type { ButtonHTMLAttributes } from 'react';

export type ButtonTone = 'primary' | 'secondary' | 'danger' | 'ghost';

interface Props extends ButtonHTMLAttributes<HTMLButtonElement> {
  tone?: ButtonTone;
  size?: 'md' | 'sm';
  /** Working: the button says so (aria-busy) and ignores further presses. */
  busy?: boolean;
}

export function Button({ tone = 'secondary', size = 'md', busy = false, className, type, disabled, ...rest }: Props) {
  const cls = ['btn', `btn--${tone}`, size === 'sm' ? 'btn--sm' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <button
      // A button in a form submits only when it says so.
      type={type ?? 'button'}
      className={cls}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    />
  );
}
