// The signed-in member's menu: a disclosure (button + panel), which needs no arrow-key menu semantics and reads
// well in every screen reader. Escape or a click elsewhere closes it and focus returns to the button.

import { useEffect, useId, useRef, useState } from 'react';
import { initials } from '../common/format';
import { useSession } from '../session';

export function UserMenu() {
  const { member, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    function onDown(e: PointerEvent) {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    }
    function onKey(e: KeyboardEvent) {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    }
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (!member) return null;
  const role = member.role === 'admin' ? 'Admin' : 'Member';

  return (
    <div className="user-menu" ref={root}>
      {open ? (
        <div className="user-menu__panel" id={panelId}>
          <p className="user-menu__name">{member.name}</p>
          <p className="user-menu__email">{member.email}</p>
          <p className="user-menu__role">
            <span className={`badge badge--${member.role === 'admin' ? 'accent' : 'neutral'}`}>{role}</span>
          </p>
          <hr className="user-menu__rule" />
          <button
            type="button"
            className="user-menu__item"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true);
              void signOut().finally(() => setSigningOut(false));
            }}
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      ) : null}
      <button
        ref={button}
        type="button"
        className="user-menu__button"
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar" aria-hidden="true">
          {initials(member.name)}
        </span>
        <span className="user-menu__who">
          <span className="user-menu__button-name">{member.name}</span>
          <span className="user-menu__button-role">{role}</span>
        </span>
        <span className="visually-hidden">, account menu</span>
      </button>
    </div>
  );
}
