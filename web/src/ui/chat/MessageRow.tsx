import { memo, useRef, useState } from 'react';
import { Attachments } from './Attachments';
import { Avatar } from './Avatar';
import { formatFull, formatTime } from './format';
import { Icon } from './icons';
import { Markdown } from './Markdown';
import { Popover } from './Popover';
import { ReactionPicker } from './ReactionPicker';
import { reactionEmoji, summarizeReactions } from './reactions';
import { isDeleted, isEdited } from './rows';
import { userName, type AttachmentView, type MessageView } from './types';
import './common.css';
import './MessageRow.css';

export interface MessageActions {
  /** Add or remove the viewer's reaction of `type` (`own` tells which: true means remove). */
  onToggleReaction?: (message: MessageView, type: string, own: boolean) => void;
  onOpenThread?: (message: MessageView) => void;
  onEdit?: (message: MessageView) => void;
  /** Called after the row's own "Delete this message?" confirmation. */
  onDelete?: (message: MessageView) => void;
  /** Opens the FlagDialog (host-rendered) for this message. */
  onFlag?: (message: MessageView) => void;
  onRetry?: (message: MessageView) => void;
  onOpenImage?: (message: MessageView, attachment: AttachmentView) => void;
  onMentionClick?: (userId: string) => void;
}

export interface MessageRowProps extends MessageActions {
  message: MessageView;
  selfId?: string;
  /** First of its group: shows the avatar, name and time. */
  head?: boolean;
  /** In the thread panel: no reply count or "Reply in thread". */
  inThread?: boolean;
  /** Highlight (a search jump's target). */
  highlighted?: boolean;
}

/** One message: an `article` named by its author and time, with its text, attachments, reactions and actions. */
export const MessageRow = memo(function MessageRow(props: MessageRowProps) {
  const { message: m, selfId, head = true, inThread, highlighted } = props;
  const [picking, setPicking] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const reactRef = useRef<HTMLButtonElement>(null);
  const author = userName(m.user);
  const own = !!selfId && m.user?.id === selfId;
  const deleted = isDeleted(m);
  const system = m.type === 'system';
  const reactions = deleted ? [] : summarizeReactions(m, selfId);
  const ownTypes = new Set(reactions.filter((r) => r.own).map((r) => r.type));
  const mentionsSelf = !!selfId && (m.mentioned_users ?? []).some((u) => u.id === selfId);
  const pending = m.status === 'sending' || m.status === 'failed';
  const time = formatTime(m.created_at);
  const label = `${author}, ${formatFull(m.created_at) || time}${m.status === 'failed' ? ', not sent' : m.status === 'sending' ? ', sending' : ''}`;

  if (system) {
    return (
      <article className="rc-msg rc-msg-system" aria-label={`${author}, ${time}`} data-message-id={m.id}>
        <span className="rc-muted">{m.text}</span>
      </article>
    );
  }

  const toggle = (type: string) => {
    props.onToggleReaction?.(m, type, ownTypes.has(type));
    setPicking(false);
  };

  const cls = [
    'rc-msg',
    head ? 'rc-msg-head' : 'rc-msg-cont',
    mentionsSelf && 'rc-msg-mentions-me',
    highlighted && 'rc-msg-highlight',
    m.status && `rc-msg-${m.status}`,
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <article className={cls} aria-label={label} data-message-id={m.id} tabIndex={-1}>
      <div className="rc-msg-gutter">
        {head ? (
          <Avatar user={m.user} size={36} />
        ) : (
          <time className="rc-msg-hovertime" dateTime={String(m.created_at ?? '')} aria-hidden="true">
            {time}
          </time>
        )}
      </div>
      <div className="rc-msg-body">
        {head && (
          <div className="rc-msg-meta">
            <span className="rc-msg-author">{author}</span>
            <time className="rc-muted" dateTime={String(m.created_at ?? '')} title={formatFull(m.created_at)}>
              {time}
            </time>
          </div>
        )}
        {deleted ? (
          <p className="rc-msg-deleted">This message was deleted.</p>
        ) : (
          <>
            {m.text ? (
              <div className="rc-msg-text">
                <Markdown
                  text={m.text}
                  mentions={m.mentioned_users}
                  selfId={selfId}
                  onMentionClick={props.onMentionClick}
                />
              </div>
            ) : null}
            {isEdited(m) && <span className="rc-msg-edited">(edited)</span>}
            {m.attachments?.length ? (
              <Attachments
                attachments={m.attachments}
                onOpenImage={props.onOpenImage ? (a) => props.onOpenImage?.(m, a) : undefined}
              />
            ) : null}
          </>
        )}
        {m.status === 'sending' && <div className="rc-msg-status rc-muted">Sending…</div>}
        {m.status === 'failed' && (
          <div className="rc-msg-status rc-msg-failed-line" role="alert">
            <span>{m.error_text ? `Not sent: ${m.error_text}` : 'Not sent.'}</span>
            {props.onRetry && (
              <button type="button" className="rc-btn rc-btn-small" onClick={() => props.onRetry?.(m)}>
                Retry
              </button>
            )}
            {props.onDelete && (
              <button type="button" className="rc-btn rc-btn-small rc-btn-danger" onClick={() => props.onDelete?.(m)}>
                Discard
              </button>
            )}
          </div>
        )}
        {reactions.length > 0 && (
          <ul className="rc-reactions" aria-label="Reactions">
            {reactions.map((r) => (
              <li key={r.type}>
                <button
                  type="button"
                  className="rc-reaction"
                  aria-pressed={r.own}
                  aria-label={`${reactionEmoji(r.type)} ${r.count} ${r.count === 1 ? 'reaction' : 'reactions'}${r.own ? ', including yours' : ''}`}
                  title={r.names.length ? r.names.join(', ') : undefined}
                  disabled={!props.onToggleReaction}
                  onClick={() => toggle(r.type)}
                >
                  <span aria-hidden="true">{reactionEmoji(r.type)}</span>
                  <span aria-hidden="true">{r.count}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {!inThread && (m.reply_count ?? 0) > 0 && props.onOpenThread && (
          <button type="button" className="rc-msg-replies" onClick={() => props.onOpenThread?.(m)}>
            {m.reply_count} {m.reply_count === 1 ? 'reply' : 'replies'}
          </button>
        )}
        {confirmDelete && (
          <div className="rc-msg-confirm" role="group" aria-label="Confirm delete">
            <span>Delete this message?</span>
            <button
              type="button"
              className="rc-btn rc-btn-small rc-btn-danger"
              autoFocus
              onClick={() => {
                setConfirmDelete(false);
                props.onDelete?.(m);
              }}
            >
              Delete
            </button>
            <button type="button" className="rc-btn rc-btn-small" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </div>
        )}
      </div>
      {!deleted && !pending && (
        <div className={`rc-msg-actions${picking ? ' rc-msg-actions-open' : ''}`} role="toolbar" aria-label={`Actions for ${author}'s message`}>
          {props.onToggleReaction && (
            <button
              ref={reactRef}
              type="button"
              className="rc-icon-btn"
              aria-label="Add reaction"
              aria-expanded={picking}
              aria-haspopup="dialog"
              onClick={() => setPicking((p) => !p)}
            >
              <Icon name="smile" />
            </button>
          )}
          {!inThread && props.onOpenThread && (
            <button type="button" className="rc-icon-btn" aria-label="Reply in thread" onClick={() => props.onOpenThread?.(m)}>
              <Icon name="reply" />
            </button>
          )}
          {own && props.onEdit && (
            <button type="button" className="rc-icon-btn" aria-label="Edit message" onClick={() => props.onEdit?.(m)}>
              <Icon name="edit" />
            </button>
          )}
          {own && props.onDelete && (
            <button type="button" className="rc-icon-btn" aria-label="Delete message" onClick={() => setConfirmDelete(true)}>
              <Icon name="trash" />
            </button>
          )}
          {!own && props.onFlag && (
            <button type="button" className="rc-icon-btn" aria-label="Flag message" onClick={() => props.onFlag?.(m)}>
              <Icon name="flag" />
            </button>
          )}
        </div>
      )}
      {picking && (
        <Popover anchor={reactRef} label="Add reaction" onClose={() => setPicking(false)}>
          <ReactionPicker onPick={toggle} own={ownTypes} />
        </Popover>
      )}
    </article>
  );
});
