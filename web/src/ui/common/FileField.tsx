import { useId, useRef, type ReactNode } from 'react';

interface Props {
  label: ReactNode;
  hint?: ReactNode;
  error?: ReactNode;
  accept: string;
  /** The chosen file's text (files here are small credentials), or null when the choice was cleared. */
  onText: (text: string | null, name: string | null) => void;
  /** The chosen file's name, to show (and to know whether one is chosen). */
  fileName: string | null;
}

/** A labelled file input that reads the file as text. The native input keeps keyboard and screen readers right. */
export function FileField({ label, hint, error, accept, onText, fileName }: Props) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={'field' + (error ? ' field--invalid' : '')}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <div className="file">
        <input
          ref={input}
          id={id}
          type="file"
          accept={accept}
          className="file__input"
          aria-invalid={error ? true : undefined}
          aria-describedby={described}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return onText(null, null);
            void file.text().then((t) => onText(t, file.name));
          }}
        />
        {fileName ? (
          <button
            type="button"
            className="btn btn--ghost btn--sm"
            onClick={() => {
              if (input.current) input.current.value = '';
              onText(null, null);
            }}
          >
            Clear
            <span className="visually-hidden"> {fileName}</span>
          </button>
        ) : null}
      </div>
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
