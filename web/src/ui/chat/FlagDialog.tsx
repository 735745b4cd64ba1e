import { useId, useRef, useState } from 'react';
import { Dialog } from './Dialog';
import type { FlagReason } from './types';
import './common.css';
import './FlagDialog.css';

export interface FlagDialogProps {
  /** Shown in the dialog so the reporter knows what they flag, e.g. "Ann: see you at …". */
  preview?: string;
  /**
   * Called with the chosen reason; for "other", `text` is the reporter's words. The wire's `reason` can be
   * `text` for "other" and the reason's name otherwise (≤ 255 characters). May return a promise: the dialog
   * waits, and shows the error if it rejects.
   */
  onSubmit: (reason: FlagReason, text: string) => void | Promise<void>;
  onCancel: () => void;
  inline?: boolean;
}

const REASONS: { value: FlagReason; label: string; hint: string }[] = [
  { value: 'spam', label: 'Spam', hint: 'Advertising, scams or repeated unwanted messages' },
  { value: 'harassment', label: 'Harassment', hint: 'Bullying, threats or hateful language' },
  { value: 'inappropriate', label: 'Inappropriate', hint: 'Content that does not belong here' },
  { value: 'other', label: 'Other', hint: 'Tell the moderators what is wrong' },
];

/** "Flag message": choose a reason (spam, harassment, inappropriate, other with text), then Flag or Cancel. */
export function FlagDialog({ preview, onSubmit, onCancel, inline }: FlagDialogProps) {
  const [reason, setReason] = useState<FlagReason | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const name = useId();
  const firstRef = useRef<HTMLInputElement>(null);
  const valid = reason !== null && (reason !== 'other' || text.trim().length > 0);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!valid || busy || !reason) return;
    setBusy(true);
    setError('');
    try {
      await onSubmit(reason, reason === 'other' ? text.trim() : '');
    } catch (err) {
      setError(err instanceof Error && err.message ? err.message : 'The message could not be flagged. Try again.');
      setBusy(false);
    }
  };

  return (
    <Dialog title="Flag message" onClose={onCancel} initialFocus={firstRef} inline={inline} className="rc-flag">
      {preview && <blockquote className="rc-flag-preview">{preview}</blockquote>}
      <form onSubmit={submit} className="rc-flag-form">
        <fieldset>
          <legend>Why are you flagging this message?</legend>
          {REASONS.map((r, i) => (
            <label key={r.value} className="rc-flag-option">
              <input
                ref={i === 0 ? firstRef : undefined}
                type="radio"
                name={name}
                value={r.value}
                checked={reason === r.value}
                onChange={() => setReason(r.value)}
              />
              <span>
                <span className="rc-flag-label">{r.label}</span>
                <span className="rc-option-sub">{r.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {reason === 'other' && (
          <label className="rc-flag-text">
            <span>Details</span>
            <textarea
              className="rc-input"
              value={text}
              maxLength={255}
              rows={3}
              onChange={(e) => setText(e.target.value)}
              required
            />
          </label>
        )}
        {error && (
          <p role="alert" className="rc-flag-error">
            {error}
          </p>
        )}
        <div className="rc-dialog-actions">
          <button type="button" className="rc-btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="rc-btn rc-btn-primary" disabled={!valid || busy}>
            {busy ? 'Flagging…' : 'Flag'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
