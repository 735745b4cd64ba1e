// Loading, empty and failed states that look designed: the shape of what is coming, a sentence and a way on.

import type { ReactNode } from 'react';
import { describeError } from '../../hub/errors';
import { Button } from './Button';

/** Grey bars in the shape of rows while the first answer is on its way (never shown over cached data). */
export function SkeletonRows({ rows = 4, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div className="skeleton" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton__row">
          <span className="skeleton__block skeleton__block--round" />
          <span className="skeleton__block" style={{ width: `${40 + ((i * 17) % 35)}%` }} />
        </div>
      ))}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <svg className="empty__art" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true">
        <rect x="6" y="10" width="36" height="28" rx="6" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M6 20h36" stroke="currentColor" strokeWidth="2" />
        <circle cx="12" cy="15" r="1.6" fill="currentColor" />
        <circle cx="17" cy="15" r="1.6" fill="currentColor" />
      </svg>
      <p className="empty__title">{title}</p>
      {children ? <div className="empty__text">{children}</div> : null}
      {action ? <div className="empty__action">{action}</div> : null}
    </div>
  );
}

/** The first answer failed: say why and offer to try again. (A failed refresh over data uses a Notice.) */
export function LoadFailed({ error, onRetry, what }: { error: unknown; onRetry: () => void; what: string }) {
  return (
    <div className="empty empty--error" role="alert">
      <p className="empty__title">{`Could not load ${what}`}</p>
      <p className="empty__text">{describeError(error)}</p>
      <div className="empty__action">
        <Button onClick={onRetry}>Try again</Button>
      </div>
    </div>
  );
}
