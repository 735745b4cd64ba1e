// A clock tests drive by hand: timers run only when `advance` passes their time, in order, and the promise
// chains they start are settled before the next one runs. Nothing sleeps.

import type { Clock, TimerHandle } from '../clock';

interface Scheduled {
  id: number;
  at: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: Scheduled[] = [];

  constructor(start = Date.parse('2026-12-03T10:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Delays (from now) of the timers still waiting, soonest first. */
  pendingDelays(): number[] {
    return this.timers.map((timer) => timer.at - this.current).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, running every timer that falls due (and those they arm within the window). */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.current = due.at;
      due.callback();
      await flush();
    }
    this.current = end;
    await flush();
  }
}

/** Lets every pending promise chain (fetch answers, token refreshes) run to completion. Macrotask turns, not
 * time: nothing here depends on how fast the machine is. */
export async function flush(rounds = 10): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 0));
  }
}
