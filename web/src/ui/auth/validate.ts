// Client-side checks that mirror the Hub's, so people learn about a mistake before a round trip. The server
// still decides.

/** The Hub takes `local@domain`; we ask for the same shape (one @, something either side, no spaces). */
export function emailProblem(email: string): string | null {
  const e = email.trim();
  if (e === '') return 'Enter your email address.';
  if (!/^[^\s@]+@[^\s@]+$/.test(e)) return 'Enter an email address like name@example.com.';
  return null;
}

export const MIN_PASSWORD = 12;
const MAX_PASSWORD_BYTES = 1024;

/** At least 12 characters, at most 1024 bytes (what the Hub's weak_password checks). */
export function passwordProblem(password: string): string | null {
  if (password === '') return 'Choose a password.';
  if ([...password].length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters (${[...password].length} so far).`;
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) return 'That password is too long: keep it under 1,024 bytes.';
  return null;
}

export function nameProblem(name: string): string | null {
  const n = name.trim();
  if (n === '') return 'Enter a name.';
  if ([...n].length > 100) return 'Keep the name to 100 characters.';
  return null;
}
