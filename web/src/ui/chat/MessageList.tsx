import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { formatDay } from './format';
import { MessageRow, type MessageActions } from './MessageRow';
import { buildRows, firstUnreadIndex, type Row } from './rows';
import { userName, type MessageView, type ReadView, type Timestamp } from './types';
import { ReadReceipt } from './ReadReceipt';
import './MessageList.css';

export interface MessageListProps extends MessageActions {
  /** Oldest first, as the channel store keeps them (replies not shown in the channel left out). */
  messages: readonly MessageView[];
  selfId?: string;
  /** The viewer's read state when the channel was opened: the "New" divider goes before the first unread. */
  lastRead?: Timestamp | null;
  lastReadMessageId?: string;
  /** Loads the page before the first message; resolve when it is in `messages`. */
  onLoadOlder?: () => Promise<unknown>;
  hasOlder?: boolean;
  /** Scroll to and highlight this message (a search result's jump) when it is loaded. */
  focusMessageId?: string;
  /** Read states for "Seen by" under the viewer's last message. */
  reads?: readonly ReadView[];
  memberCount?: number;
  /** Names the log for screen readers, e.g. "Messages in #general". */
  label?: string;
  /** Called when the viewer reaches the bottom (to mark the channel read). */
  onReachBottom?: () => void;
  /** Whether the newest messages are in view, each time that changes (the host marks the channel read). */
  onAtBottomChange?: (atBottom: boolean) => void;
}

const AT_BOTTOM_PX = 48;
const LOAD_OLDER_PX = 400;

function estimate(row: Row | undefined): number {
  if (!row) return 40;
  if (row.kind === 'day') return 44;
  if (row.kind === 'unread') return 28;
  const m = row.message;
  let h = row.head ? 60 : 26;
  h += Math.floor((m.text?.length ?? 0) / 90) * 21;
  for (const a of m.attachments ?? []) h += a.type === 'image' ? 190 : 60;
  if (m.reaction_counts && Object.keys(m.reaction_counts).length) h += 30;
  if (m.reply_count) h += 26;
  return h;
}

/**
 * The channel's messages, virtualized (rows measured as they render): older pages load near the top with the
 * scroll position kept; new messages keep the view at the bottom if it was there, else a "new messages" pill
 * appears; it opens at the first unread (with a "New" divider) or at the bottom.
 */
export function MessageList(props: MessageListProps) {
  const { messages, selfId, lastRead, lastReadMessageId, onLoadOlder, hasOlder = true, focusMessageId, reads, memberCount = 0 } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  // The divider is placed once per channel opening: it does not move while the viewer reads.
  const [unreadIndexAtOpen] = useState(() => firstUnreadIndex(messages, lastRead, selfId, lastReadMessageId));
  const unreadKey = useRef<string | undefined>(messages[unreadIndexAtOpen]?.id);
  const unreadIndex = unreadKey.current ? messages.findIndex((m) => m.id === unreadKey.current) : -1;
  const rows = useMemo(() => buildRows(messages, { unreadIndex }), [messages, unreadIndex]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => estimate(rows[i]),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 6,
  });

  const atBottom = useRef(true);
  const loadingOlder = useRef(false);
  const [newCount, setNewCount] = useState(0);
  const [announce, setAnnounce] = useState('');
  const prev = useRef<{ first?: string; last?: string; count: number }>({ count: 0 });
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const opened = useRef(false);
  // Older pages load only once the opening position is reached (not from the scroll it makes).
  const settled = useRef(false);

  const scrollToBottom = useCallback(() => {
    if (rows.length) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    setNewCount(0);
  }, [rows.length, virtualizer]);

  // The first visible row and its distance from the top, to restore after a prepend.
  const rememberAnchor = () => {
    const el = scrollRef.current;
    if (!el) return;
    const item = virtualizer.getVirtualItems().find((v) => v.end > el.scrollTop);
    if (item) anchor.current = { key: String(item.key), delta: item.start - el.scrollTop };
  };

  useLayoutEffect(() => {
    const first = rows.find((r) => r.kind === 'message')?.key;
    const last = rows[rows.length - 1]?.key;
    const p = prev.current;
    prev.current = { first, last, count: rows.length };
    if (!rows.length) return;
    if (!opened.current) {
      opened.current = true;
      const at = rows.findIndex((r) => r.kind === 'unread');
      const go = () =>
        at >= 0
          ? virtualizer.scrollToIndex(at, { align: 'start' })
          : virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
      // Again on the next frame: the scroller is attached (and measured) only after the first layout.
      go();
      requestAnimationFrame(go);
      setTimeout(() => {
        go();
        settled.current = true;
      }, 150);
      return;
    }
    if (p.first !== first && anchor.current) {
      // Older messages came in above: put the anchor row back where it was.
      const idx = rows.findIndex((r) => r.key === anchor.current?.key);
      const item = idx >= 0 ? virtualizer.measurementsCache[idx] : undefined;
      if (item) virtualizer.scrollToOffset(item.start - anchor.current.delta);
      anchor.current = null;
    }
    if (p.last !== last) {
      const lastRow = rows[rows.length - 1];
      const m = lastRow?.kind === 'message' ? lastRow.message : undefined;
      const mine = !!m && m.user?.id === selfId;
      if (m && !mine) setAnnounce(`${userName(m.user)}: ${m.text ?? 'sent an attachment'}`);
      if (atBottom.current || mine) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
      else if (p.count) setNewCount((n) => n + 1);
    }
  }, [rows, selfId, virtualizer]);

  useEffect(() => {
    if (!focusMessageId) return;
    const idx = rows.findIndex((r) => r.key === focusMessageId);
    if (idx >= 0) virtualizer.scrollToIndex(idx, { align: 'center' });
  }, [focusMessageId, rows, virtualizer]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < AT_BOTTOM_PX;
    if (bottom && !atBottom.current) {
      setNewCount(0);
      props.onReachBottom?.();
    }
    if (bottom !== atBottom.current) props.onAtBottomChange?.(bottom);
    atBottom.current = bottom;
    if (el.scrollTop < LOAD_OLDER_PX && hasOlder && onLoadOlder && !loadingOlder.current && settled.current) {
      loadingOlder.current = true;
      rememberAnchor();
      onLoadOlder()
        .catch(() => undefined)
        .finally(() => {
          loadingOlder.current = false;
        });
    }
  };

  const lastOwn = useMemo(() => {
    for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.user?.id === selfId) return messages[i]?.id;
    return undefined;
  }, [messages, selfId]);

  const items = virtualizer.getVirtualItems();
  return (
    <div className="rc-ml">
      <div ref={scrollRef} className="rc-ml-scroll" onScroll={onScroll} role="log" aria-label={props.label ?? 'Messages'} aria-live="off" tabIndex={0}>
        {!hasOlder && messages.length > 0 && <p className="rc-ml-start rc-muted">This is the start of the conversation.</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {items.map((v) => {
            const row = rows[v.index];
            if (!row) return null;
            return (
              <div
                key={v.key}
                data-index={v.index}
                ref={virtualizer.measureElement}
                className="rc-ml-row"
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${v.start}px)` }}
              >
                {row.kind === 'day' ? (
                  <div className="rc-ml-day" role="separator" aria-label={formatDay(row.date)}>
                    <span>{formatDay(row.date)}</span>
                  </div>
                ) : row.kind === 'unread' ? (
                  <div className="rc-ml-new" role="separator" aria-label="New messages">
                    <span>New</span>
                  </div>
                ) : (
                  <>
                    <MessageRow
                      message={row.message}
                      head={row.head}
                      selfId={selfId}
                      highlighted={row.key === focusMessageId}
                      onToggleReaction={props.onToggleReaction}
                      onOpenThread={props.onOpenThread}
                      onEdit={props.onEdit}
                      onDelete={props.onDelete}
                      onFlag={props.onFlag}
                      onRetry={props.onRetry}
                      onOpenImage={props.onOpenImage}
                      onMentionClick={props.onMentionClick}
                    />
                    {reads && row.key === lastOwn && (
                      <ReadReceipt message={row.message} reads={reads} selfId={selfId} memberCount={memberCount} />
                    )}
                  </>
                )}
              </div>
            );
          })}
        </div>
      </div>
      {newCount > 0 && (
        <button type="button" className="rc-ml-pill" onClick={scrollToBottom}>
          {newCount === 1 ? '1 new message' : `${newCount} new messages`} ↓
        </button>
      )}
      <div className="rc-sr-only" aria-live="polite" aria-atomic="true">
        {announce}
      </div>
    </div>
  );
}
