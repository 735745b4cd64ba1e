// Drafts kept per channel (by cid, with a thread's parent id for a thread's composer): in memory, and in
// sessionStorage so a reload of the tab keeps them. A tiny store with subscribe/getSnapshot for
// useSyncExternalStore.
import type { UserView } from './types';

export interface Draft {
  text: string;
  /** The users picked through @mention autocomplete (kept so their ids survive a channel switch). */
  mentioned?: UserView[];
}

export interface DraftStore {
  get(key: string): Draft | undefined;
  set(key: string, draft: Draft): void;
  clear(key: string): void;
  subscribe(listener: () => void): () => void;
  /** Changes on every write: a snapshot token for useSyncExternalStore. */
  getSnapshot(): number;
}

const PREFIX = 'rill.draft.';

export function draftKey(cid: string, parentId?: string): string {
  return parentId ? `${cid}#${parentId}` : cid;
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function defaultStorage(): StorageLike | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // sessionStorage can throw when storage is blocked
  }
}

export function createDraftStore(storage: StorageLike | null = defaultStorage()): DraftStore {
  const memory = new Map<string, Draft>();
  const listeners = new Set<() => void>();
  let version = 0;
  const emit = () => {
    version++;
    for (const l of [...listeners]) l();
  };
  return {
    get(key) {
      const hit = memory.get(key);
      if (hit) return hit;
      try {
        const raw = storage?.getItem(PREFIX + key);
        if (!raw) return undefined;
        const parsed = JSON.parse(raw) as unknown;
        if (parsed && typeof parsed === 'object' && typeof (parsed as Draft).text === 'string') {
          const d = parsed as Draft;
          const draft: Draft = { text: d.text, mentioned: Array.isArray(d.mentioned) ? d.mentioned : undefined };
          memory.set(key, draft);
          return draft;
        }
      } catch {
        // a corrupt or unreadable entry is no draft
      }
      return undefined;
    },
    set(key, draft) {
      if (!draft.text.trim() && !draft.mentioned?.length) {
        this.clear(key);
        return;
      }
      const prev = memory.get(key);
      if (prev && prev.text === draft.text && prev.mentioned === draft.mentioned) return;
      memory.set(key, draft);
      try {
        storage?.setItem(
          PREFIX + key,
          JSON.stringify({ text: draft.text, mentioned: draft.mentioned?.map((u) => ({ id: u.id, name: u.name })) }),
        );
      } catch {
        // storage full or blocked: memory still has it
      }
      emit();
    },
    clear(key) {
      const had = memory.delete(key);
      try {
        storage?.removeItem(PREFIX + key);
      } catch {
        // ignore
      }
      if (had) emit();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => version,
  };
}

/** The app's one draft store (the lead may pass another to the Composer). */
export const drafts: DraftStore = createDraftStore();
