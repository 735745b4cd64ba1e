// The composer's typing signal: `onTyping()` at most every `throttleMs` while keys are pressed, and
// `onStopTyping()` once after `idleMs` without a key, or at once on send or blur.

export interface TypingThrottleOptions {
  onTyping?: () => void;
  onStopTyping?: () => void;
  throttleMs?: number;
  idleMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface TypingThrottle {
  /** Call on every edit of the text. */
  keystroke(): void;
  /** Call on send, blur or channel switch: ends the typing state now if it was on. */
  stop(): void;
  dispose(): void;
}

export function createTypingThrottle(opts: TypingThrottleOptions): TypingThrottle {
  const throttleMs = opts.throttleMs ?? 2000;
  const idleMs = opts.idleMs ?? 3000;
  const now = opts.now ?? (() => Date.now());
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let lastSent = -Infinity;
  let typing = false;
  let idle: unknown = null;
  const cancelIdle = () => {
    if (idle !== null) clearTimer(idle);
    idle = null;
  };
  const stop = () => {
    cancelIdle();
    if (typing) {
      typing = false;
      lastSent = -Infinity;
      opts.onStopTyping?.();
    }
  };
  return {
    keystroke() {
      const t = now();
      if (!typing || t - lastSent >= throttleMs) {
        typing = true;
        lastSent = t;
        opts.onTyping?.();
      }
      cancelIdle();
      idle = setTimer(stop, idleMs);
    },
    stop,
    dispose: cancelIdle,
  };
}
