import { useEffect, useId, useRef, useState } from 'react';

/** A read-only value with a Copy button (falls back to selecting it where the clipboard is not allowed). */
export function CopyField({ label, value, autoFocus }: { label: string; value: string; autoFocus?: boolean }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'select' | null>(null);
  // Focus the value when it appears (e.g. in a dialog whose content just changed to it).
  useEffect(() => {
    if (autoFocus) input.current?.focus();
  }, [autoFocus]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      input.current?.select();
      setCopied('select');
    }
    window.setTimeout(() => setCopied(null), 4000);
  }

  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <div className="copy">
        <input ref={input} id={id} className="input input--mono" readOnly value={value} onFocus={(e) => e.target.select()} />
        <button type="button" className="btn btn--secondary" onClick={() => void copy()}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="field__hint" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'select' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
      </p>
    </div>
  );
}
