import type { ReactNode } from 'react';
import { WORKSPACE_NAME } from '../shell/nav';
import './auth.css';

/** The signed-out pages: a quiet centred card under the workspace's name. */
export function AuthLayout({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <div className="auth">
      <main className="auth__card">
        <p className="auth__brand">
          <span className="auth__logo" aria-hidden="true">
            {WORKSPACE_NAME.charAt(0)}
          </span>
          {WORKSPACE_NAME}
        </p>
        <h1 className="auth__title">{title}</h1>
        {intro ? <div className="auth__intro">{intro}</div> : null}
        {children}
      </main>
    </div>
  );
}
