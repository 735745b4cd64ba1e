// A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert and gives it
// role="dialog" with aria-modal. On top of that we keep Tab inside the dialog (wrapping at both ends instead of
// escaping to the browser's toolbar), close on Escape through React state (so state and DOM agree), and put
// focus back where it was when the dialog closes.

import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface Props {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  /** A line under the title, read as the dialog's description. */
  description?: ReactNode;
  children: ReactNode;
  /** Buttons at the bottom (the first is not focused automatically: mark the one to focus with autoFocus). */
  footer?: ReactNode;
  size?: 'sm' | 'md' | 'lg';
  /** While true, Escape does nothing (a request is running). */
  busy?: boolean;
}

export function Dialog({ open, onClose, title, description, children, footer, size = 'sm', busy = false }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  const descId = useId();

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
      // showModal focuses the first focusable element unless one has autofocus; prefer an autofocus field.
      const auto = d.querySelector<HTMLElement>('[autofocus], [data-autofocus]');
      auto?.focus();
    } else if (!open && d.open) {
      d.close();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    }
  }, [open]);

  // Unmounted while open (a route change, a keyed remount): close and give focus back too.
  useEffect(() => {
    const d = ref.current;
    return () => {
      if (d?.open) {
        d.close();
        const o = opener.current;
        if (o instanceof HTMLElement && o.isConnected) o.focus();
      }
    };
  }, []);

  function onKeyDown(e: KeyboardEvent<HTMLDialogElement>) {
    if (e.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={ref}
      className={`dialog dialog--${size}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(e) => {
        // Escape: let React decide (and refuse while a request runs).
        e.preventDefault();
        if (!busy) onClose();
      }}
      onKeyDown={onKeyDown}
    >
      {open ? (
        <div className="dialog__frame">
          <header className="dialog__header">
            <h2 id={titleId} className="dialog__title">
              {title}
            </h2>
            <button type="button" className="icon-btn dialog__close" onClick={onClose} aria-label="Close" disabled={busy}>
              <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
              </svg>
            </button>
          </header>
          {description ? (
            <p id={descId} className="dialog__description">
              {description}
            </p>
          ) : null}
          <div className="dialog__body">{children}</div>
          {footer ? <footer className="dialog__footer">{footer}</footer> : null}
        </div>
      ) : null}
    </dialog>
  );
}
