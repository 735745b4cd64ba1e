import { useEffect, useState } from 'react';
import { dropHash, tokenFromHash } from '../router';

/**
 * The one-time link's token from the address's fragment, read once, then removed from the address bar and
 * history at once (so it is not left in history, bookmarks or a screen share). The token lives on in memory
 * only: a reload asks the person to open their link again, which still works until it is used.
 */
export function useLinkToken(): string | null {
  // The initializer runs before any effect (also both times under StrictMode), so it still sees the fragment.
  const [token] = useState(() => tokenFromHash(window.location.hash));
  useEffect(() => {
    if (window.location.hash) dropHash();
  }, []);
  return token;
}
