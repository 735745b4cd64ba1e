import { typingText } from './format';
import type { UserView } from './types';
import './indicators.css';

export interface TypingIndicatorProps {
  /** The users typing now, the viewer excluded (the client's `typing` state). */
  users: readonly UserView[];
}

/** "Ann is typing…" etc. Always rendered (empty when nobody types) so the layout does not jump. */
export function TypingIndicator({ users }: TypingIndicatorProps) {
  const text = typingText(users);
  return (
    <div className="rc-typing" aria-live="polite" aria-atomic="true">
      {text && (
        <>
          <span className="rc-typing-dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          {text}
        </>
      )}
    </div>
  );
}
