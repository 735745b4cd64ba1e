// A minimal external store for React's `useSyncExternalStore`: `subscribe` and `getSnapshot` are bound
// properties (pass them directly), and the snapshot changes identity only when `set` is given a new value.

export type Listener = () => void;

export interface ReadableStore<T> {
  subscribe(listener: Listener): () => void;
  getSnapshot(): T;
}

export class Store<T> implements ReadableStore<T> {
  private value: T;
  private readonly listeners = new Set<Listener>();

  constructor(initial: T) {
    this.value = initial;
  }

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  readonly getSnapshot = (): T => this.value;

  /** Replaces the value and notifies, unless it is the same object (nothing changed). */
  set(next: T): void {
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const listener of [...this.listeners]) listener();
  }

  update(change: (current: T) => T): void {
    this.set(change(this.value));
  }
}
