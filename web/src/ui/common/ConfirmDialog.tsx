import { useState, type ReactNode } from 'react';
import { describeError } from '../../hub/errors';
import { Button } from './Button';
import { Dialog } from './Dialog';
import { Notice } from './Notice';

interface Props {
  open: boolean;
  title: ReactNode;
  /** What will happen, in plain words. */
  children: ReactNode;
  confirmLabel: string;
  /** The label while it runs, e.g. "Removing…". */
  busyLabel?: string;
  tone?: 'danger' | 'primary';
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** Words for error codes that mean something particular here. */
  errorWords?: Record<string, string>;
}

/** Asks before an action that is hard to undo; shows the action's error in place rather than closing. */
export function ConfirmDialog({ open, title, children, confirmLabel, busyLabel, tone = 'danger', onConfirm, onClose, errorWords }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(describeError(e, errorWords));
    } finally {
      setBusy(false);
    }
  }

  function close() {
    setError(null);
    onClose();
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={title}
      busy={busy}
      footer={
        <>
          <Button onClick={close} disabled={busy}>
            Cancel
          </Button>
          <Button tone={tone} onClick={() => void confirm()} busy={busy} data-autofocus>
            {busy ? (busyLabel ?? confirmLabel) : confirmLabel}
          </Button>
        </>
      }
    >
      <div className="confirm__text">{children}</div>
      {error ? <Notice tone="error">{error}</Notice> : null}
    </Dialog>
  );
}
