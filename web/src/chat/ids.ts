// Client-generated ids. A message id is chosen by the client so that a resend after a lost answer names the
// same message (the server refuses a second message with that id instead of storing a duplicate).

/** A random UUID v4. `crypto.randomUUID` exists only in secure contexts (https, localhost); a self-hosted
 * server on a LAN over plain http is not one, so fall back to `getRandomValues`, which exists everywhere. */
export function uuid(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = c.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `${user_id}-${uuid}`: within the engine's message id rule (printable ASCII without `, % / ? #`). */
export function messageId(userId: string, random: () => string = uuid): string {
  return `${userId}-${random()}`;
}
