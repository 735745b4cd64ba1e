import { initials } from './format';
import { PresenceDot } from './PresenceDot';
import { userName, type UserView } from './types';
import './common.css';

export interface AvatarProps {
  user: UserView | undefined;
  size?: number;
  /** Show the presence dot (from `user.online`). */
  presence?: boolean;
}

/** A user's picture, or their initials. Decorative (aria-hidden): the name is always given next to it. */
export function Avatar({ user, size = 36, presence }: AvatarProps) {
  const name = userName(user);
  return (
    <span
      className="rc-avatar"
      aria-hidden="true"
      style={{ width: size, height: size, fontSize: Math.round(size * 0.4) }}
    >
      {user?.image ? <img src={user.image} alt="" width={size} height={size} loading="lazy" /> : initials(name)}
      {presence && <PresenceDot online={!!user?.online} className="rc-avatar-dot" decorative />}
    </span>
  );
}
