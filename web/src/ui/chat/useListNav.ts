import { useCallback, useEffect, useState } from 'react';

/**
 * The active option of a listbox driven from a text input (combobox): ArrowUp/ArrowDown move (wrapping),
 * Home/End jump, Enter (and Tab when `tabPicks`) picks. Returns true from `onKeyDown` when it handled the key.
 */
export function useListNav(count: number, onPick: (index: number) => void, opts: { tabPicks?: boolean; resetKey?: unknown } = {}) {
  const [active, setActive] = useState(0);
  useEffect(() => setActive(0), [opts.resetKey]);
  useEffect(() => {
    if (active >= count) setActive(Math.max(0, count - 1));
  }, [count, active]);
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent): boolean => {
      if (count === 0) return false;
      switch (e.key) {
        case 'ArrowDown':
          e.preventDefault();
          setActive((a) => (a + 1) % count);
          return true;
        case 'ArrowUp':
          e.preventDefault();
          setActive((a) => (a - 1 + count) % count);
          return true;
        case 'Home':
          if (!e.ctrlKey) return false;
          e.preventDefault();
          setActive(0);
          return true;
        case 'End':
          if (!e.ctrlKey) return false;
          e.preventDefault();
          setActive(count - 1);
          return true;
        case 'Enter':
          if (e.shiftKey || e.nativeEvent.isComposing) return false;
          e.preventDefault();
          onPick(Math.min(active, count - 1));
          return true;
        case 'Tab':
          if (!opts.tabPicks || e.shiftKey) return false;
          e.preventDefault();
          onPick(Math.min(active, count - 1));
          return true;
      }
      return false;
    },
    [count, active, onPick, opts.tabPicks],
  );
  return { active, setActive, onKeyDown };
}
