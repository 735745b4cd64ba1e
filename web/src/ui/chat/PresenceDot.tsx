import './indicators.css';

export interface PresenceDotProps {
  online: boolean;
  className?: string;
  /** When the name next to it already says the presence (or it sits in an aria-hidden avatar). */
  decorative?: boolean;
}

/** A green dot when online, a hollow ring when away. Labelled "Online"/"Offline" unless decorative. */
export function PresenceDot({ online, className, decorative }: PresenceDotProps) {
  const cls = `rc-presence ${online ? 'rc-presence-on' : 'rc-presence-off'}${className ? ` ${className}` : ''}`;
  return decorative ? (
    <span className={cls} aria-hidden="true" />
  ) : (
    <span className={cls} role="img" aria-label={online ? 'Online' : 'Offline'} />
  );
}
