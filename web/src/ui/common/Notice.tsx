import type { ReactNode } from 'react';

export type Tone = 'info' | 'success' | 'warning' | 'error';

/**
 * An inline message. Errors are role="alert" (announced at once); the rest role="status" (announced
 * politely). `title` is the headline, children the detail.
 */
export function Notice({ tone, title, children, action }: { tone: Tone; title?: ReactNode; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className={`notice notice--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      <span className="notice__mark" aria-hidden="true">
        {MARKS[tone]}
      </span>
      <div className="notice__body">
        {title ? <p className="notice__title">{title}</p> : null}
        {children ? <div className="notice__text">{children}</div> : null}
      </div>
      {action ? <div className="notice__action">{action}</div> : null}
    </div>
  );
}

const MARKS: Record<Tone, string> = { info: 'i', success: '✓', warning: '!', error: '!' };
