/** Whether any of the fields contains every word of the query (case- and accent-insensitive). */
export function matches(query: string, ...fields: (string | null | undefined)[]): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = fields.map((f) => fold(f ?? '')).join(' ');
  return words.every((w) => hay.includes(w));
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
