import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';
import { createPortal } from 'react-dom';
import './Dialog.css';

export interface DialogProps {
  title: string;
  /** Hide the visible title (it still names the dialog). */
  hideTitle?: boolean;
  onClose: () => void;
  children: ReactNode;
  /** Focused when the dialog opens; the first focusable element otherwise. */
  initialFocus?: RefObject<HTMLElement | null>;
  className?: string;
  /** Render in place instead of into document.body (tests, or a host that portals itself). */
  inline?: boolean;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('inert'));
}

/**
 * A modal dialog: `role="dialog"` with `aria-modal`, focus moved in and trapped (Tab and Shift+Tab wrap),
 * Escape or a click on the backdrop closes, and focus returns where it was on close.
 */
export function Dialog({ title, hideTitle, onClose, children, initialFocus, className, inline }: DialogProps) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const root = ref.current;
    if (root) (initialFocus?.current ?? focusables(root)[0] ?? root).focus();
    return () => {
      if (previous && document.contains(previous)) previous.focus();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      e.preventDefault();
      onCloseRef.current();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = focusables(ref.current);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !ref.current.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !ref.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  };

  const node = (
    <div
      className="rc-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onCloseRef.current();
      }}
    >
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`rc-dialog rc-popover${className ? ` ${className}` : ''}`}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className={hideTitle ? 'rc-sr-only' : 'rc-dialog-title'}>
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
  return inline || typeof document === 'undefined' ? node : createPortal(node, document.body);
}
