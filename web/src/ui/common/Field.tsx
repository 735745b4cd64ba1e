// Labelled form controls: every control has a visible label, its hint and error tied to it with
// aria-describedby, and aria-invalid when it has an error, so screen readers and getByLabel both work.

import { useId, type InputHTMLAttributes, type Ref, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';

interface FieldFrameProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: ReactNode;
  /** Shown after the label, e.g. "optional". */
  aside?: ReactNode;
  children: ReactNode;
}

function FieldFrame({ id, label, hint, error, aside, children }: FieldFrameProps) {
  return (
    <div className={'field' + (error ? ' field--invalid' : '')}>
      <label className="field__label" htmlFor={id}>
        {label}
        {aside ? <span className="field__aside">{aside}</span> : null}
      </label>
      {children}
      {hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field__error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

type Common = { label: ReactNode; hint?: ReactNode; error?: ReactNode; aside?: ReactNode };

export function TextField({ label, hint, error, aside, id, className, ...input }: Common & InputHTMLAttributes<HTMLInputElement> & { ref?: Ref<HTMLInputElement> }) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <FieldFrame id={fid} label={label} hint={hint} error={error} aside={aside}>
      <input
        id={fid}
        className={'input' + (className ? ` ${className}` : '')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fid, hint, error)}
        {...input}
      />
    </FieldFrame>
  );
}

export function TextArea({ label, hint, error, aside, id, className, ...input }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <FieldFrame id={fid} label={label} hint={hint} error={error} aside={aside}>
      <textarea
        id={fid}
        className={'input input--area' + (className ? ` ${className}` : '')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fid, hint, error)}
        {...input}
      />
    </FieldFrame>
  );
}

export function SelectField({ label, hint, error, aside, id, className, children, ...select }: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <FieldFrame id={fid} label={label} hint={hint} error={error} aside={aside}>
      <select
        id={fid}
        className={'input input--select' + (className ? ` ${className}` : '')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fid, hint, error)}
        {...select}
      >
        {children}
      </select>
    </FieldFrame>
  );
}

/** A checkbox with its label beside it (and an optional hint below). */
export function Checkbox({ label, hint, id, ...input }: { label: ReactNode; hint?: ReactNode } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <div className="check">
      <input id={fid} type="checkbox" aria-describedby={hint ? `${fid}-hint` : undefined} {...input} />
      <div>
        <label htmlFor={fid}>{label}</label>
        {hint ? (
          <p className="field__hint" id={`${fid}-hint`}>
            {hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** An on/off switch: a checkbox with role="switch", so it reads as "on"/"off". */
export function Switch({ label, hint, id, ...input }: { label: ReactNode; hint?: ReactNode } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'role'>) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <div className="switch">
      <div className="switch__text">
        <label htmlFor={fid} className="switch__label">
          {label}
        </label>
        {hint ? (
          <p className="field__hint" id={`${fid}-hint`}>
            {hint}
          </p>
        ) : null}
      </div>
      <input
        id={fid}
        type="checkbox"
        role="switch"
        className="switch__input"
        aria-describedby={hint ? `${fid}-hint` : undefined}
        {...input}
      />
    </div>
  );
}
