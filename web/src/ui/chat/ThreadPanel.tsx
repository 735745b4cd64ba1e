import { useEffect, useRef } from 'react';
import { Composer, type ComposerProps } from './Composer';
import { Icon } from './icons';
import { MessageRow, type MessageActions } from './MessageRow';
import { buildRows } from './rows';
import type { MessageView } from './types';
import './ThreadPanel.css';

export interface ThreadPanelProps extends MessageActions {
  parent: MessageView;
  /** The replies, oldest first. */
  replies: readonly MessageView[];
  selfId?: string;
  onClose: () => void;
  loading?: boolean;
  /** The thread's composer (its `cid` and `parentId` key its own draft). */
  composer: Omit<ComposerProps, 'parentId'>;
}

/** The side panel of a thread: the parent, its replies and a composer of its own; Escape closes it. */
export function ThreadPanel({ parent, replies, selfId, onClose, loading, composer, ...actions }: ThreadPanelProps) {
  const endRef = useRef<HTMLDivElement>(null);
  const rows = buildRows(replies).filter((r) => r.kind === 'message');
  useEffect(() => endRef.current?.scrollIntoView?.({ block: 'end' }), [replies.length]);
  return (
    <aside
      className="rc-thread"
      aria-label="Thread"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <header className="rc-thread-head">
        <h2>Thread</h2>
        <button type="button" className="rc-icon-btn" aria-label="Close thread" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div className="rc-thread-scroll" role="log" aria-label="Replies">
        <MessageRow message={parent} selfId={selfId} inThread head {...actions} />
        <div className="rc-thread-count" role="separator">
          {loading ? 'Loading replies…' : `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`}
        </div>
        {rows.map((r) =>
          r.kind === 'message' ? (
            <MessageRow key={r.key} message={r.message} head={r.head} selfId={selfId} inThread {...actions} />
          ) : null,
        )}
        <div ref={endRef} />
      </div>
      <Composer {...composer} parentId={parent.id} />
    </aside>
  );
}
