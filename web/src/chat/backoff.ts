// Reconnect delays: exponential backoff with full jitter (a uniformly random delay between 0 and the
// exponential ceiling). Full jitter spreads the reconnects of every client a server restart dropped, so they
// do not all come back in the same second.

export interface BackoffOptions {
  /** The ceiling of the first retry. */
  baseMs: number;
  /** No delay exceeds this. */
  capMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 1_000, capMs: 30_000 };

/** The ceiling for a 0-based attempt: base·2^attempt, capped. */
export function backoffCeiling(attempt: number, options: BackoffOptions = defaultBackoff): number {
  // 2^attempt overflows to Infinity long after it passes the cap; Math.min handles that.
  return Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
}

/** The delay before a 0-based attempt; `random` returns [0, 1) like Math.random. */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  options: BackoffOptions = defaultBackoff,
): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}
