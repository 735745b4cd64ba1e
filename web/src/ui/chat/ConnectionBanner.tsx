import { useEffect, useRef, useState } from 'react';
import './indicators.css';

export interface ConnectionBannerProps {
  /** The client's connection state. */
  state: 'online' | 'offline' | 'connecting';
  /** When the next reconnect attempt is due (ms since the epoch), for the countdown. */
  retryAt?: number;
  /** Try to reconnect now. */
  onRetry?: () => void;
  /** How long "Reconnected" stays after coming back (ms). */
  reconnectedMs?: number;
}

/**
 * Offline: "You're offline — reconnecting in 5 s…" with "Retry now"; connecting: "Reconnecting…";
 * back online after an outage: "Reconnected" for a moment. Nothing while all is well.
 */
export function ConnectionBanner({ state, retryAt, onRetry, reconnectedMs = 2500 }: ConnectionBannerProps) {
  const [now, setNow] = useState(() => Date.now());
  const [showBack, setShowBack] = useState(false);
  const wasDown = useRef(false);

  useEffect(() => {
    if (state !== 'online') {
      wasDown.current = true;
      setShowBack(false);
      return;
    }
    if (!wasDown.current) return;
    wasDown.current = false;
    setShowBack(true);
    const t = setTimeout(() => setShowBack(false), reconnectedMs);
    return () => clearTimeout(t);
  }, [state, reconnectedMs]);

  useEffect(() => {
    if (state === 'online' || retryAt === undefined) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [state, retryAt]);

  if (state === 'online' && !showBack) return <div className="rc-conn-slot" role="status" />;
  let text: string;
  if (state === 'online') text = 'Reconnected';
  else if (state === 'connecting') text = 'Reconnecting…';
  else if (retryAt !== undefined) {
    const s = Math.max(0, Math.ceil((retryAt - now) / 1000));
    text = s > 0 ? `You're offline — reconnecting in ${s} s…` : "You're offline — reconnecting…";
  } else text = "You're offline";
  return (
    <div className="rc-conn-slot" role="status">
      <div className={`rc-conn rc-conn-${state}`}>
        <span>{text}</span>
        {state !== 'online' && onRetry && (
          <button type="button" className="rc-btn rc-conn-retry" onClick={onRetry}>
            Retry now
          </button>
        )}
      </div>
    </div>
  );
}
