import { useEffect, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { createPortal } from 'react-dom';
import { focusables } from './Dialog';
import './common.css';

export interface PopoverProps {
  anchor: RefObject<HTMLElement | null>;
  onClose: () => void;
  label: string;
  children: ReactNode;
  /** Preferred side; flips when there is no room. */
  placement?: 'above' | 'below';
  align?: 'start' | 'end';
}

/**
 * A non-modal popup placed beside its anchor (fixed, so a scrolling list does not clip it), rendered into
 * document.body. Focus moves in and back to the anchor on close; Escape and a click outside close it.
 */
export function Popover({ anchor, onClose, label, children, placement = 'above', align = 'end' }: PopoverProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ top: number; left: number } | null>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useLayoutEffect(() => {
    const a = anchor.current?.getBoundingClientRect();
    const el = ref.current;
    if (!a || !el) return;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    let top = placement === 'above' ? a.top - h - 6 : a.bottom + 6;
    if (top < 8) top = a.bottom + 6;
    if (top + h > vh - 8) top = Math.max(8, a.top - h - 6);
    let left = align === 'end' ? a.right - w : a.left;
    left = Math.min(Math.max(8, left), vw - w - 8);
    setPos({ top, left });
  }, [anchor, placement, align]);

  useEffect(() => {
    const anchorEl = anchor.current;
    const root = ref.current;
    if (root) (focusables(root)[0] ?? root).focus();
    const onDown = (e: MouseEvent) => {
      const t = e.target as Node;
      if (!ref.current?.contains(t) && !anchorEl?.contains(t)) onCloseRef.current();
    };
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('mousedown', onDown);
      if (anchorEl && document.contains(anchorEl) && ref.current?.contains(document.activeElement)) anchorEl.focus();
    };
  }, [anchor]);

  return createPortal(
    <div
      ref={ref}
      role="dialog"
      aria-label={label}
      tabIndex={-1}
      className="rc-popover rc-popover-float"
      style={{ position: 'fixed', zIndex: 60, top: pos?.top ?? -9999, left: pos?.left ?? -9999 }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onCloseRef.current();
          anchor.current?.focus();
        }
      }}
    >
      {children}
    </div>,
    document.body,
  );
}
