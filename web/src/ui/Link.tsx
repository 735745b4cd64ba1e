import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { isModifiedClick, navigate } from './router';

/** An ordinary link (so middle-click, copy link and screen readers work) that navigates in place. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function handle(e: MouseEvent<HTMLAnchorElement>) {
    onClick?.(e);
    if (isModifiedClick(e) || (rest.target && rest.target !== '_self')) return;
    e.preventDefault();
    navigate(href);
  }
  return <a href={href} onClick={handle} {...rest} />;
}
