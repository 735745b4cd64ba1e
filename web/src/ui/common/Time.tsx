import { fullTime, relativeTime } from './format';

/** A time shown relative ("5 minutes ago") with the exact one on hover and in the markup. */
export function Time({ iso, exact = false }: { iso: string; exact?: boolean }) {
  return (
    <time dateTime={iso} title={fullTime(iso)}>
      {exact ? fullTime(iso) : relativeTime(iso)}
    </time>
  );
}
