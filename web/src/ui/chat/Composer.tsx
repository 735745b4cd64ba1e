import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { drafts as defaultDrafts, draftKey, type DraftStore } from './draftStore';
import { formatFileSize } from './format';
import { Icon } from './icons';
import { activeMentionQuery, filterMembers, insertMention, mentionedIds, type MentionQuery } from './mentions';
import { Popover } from './Popover';
import { LazyEmojiPicker } from './ReactionPicker';
import { createTypingThrottle } from './typing';
import { readableId, userName, type MessageView, type PendingUpload, type UserView } from './types';
import { useListNav } from './useListNav';
import './common.css';
import './Composer.css';

export interface ComposerSend {
  text: string;
  /** Ids for the message's `mentioned_users`. */
  mentioned_users: string[];
  /** The ids of the finished uploads to attach (the host maps them to attachments). */
  upload_ids: string[];
}

export interface ComposerProps {
  /** The channel's cid: the draft's key (with `parentId` in a thread). */
  cid: string;
  parentId?: string;
  /** "general" gives "Message #general"; in a DM the person's name gives "Message Ann". */
  channelLabel: string;
  isDm?: boolean;
  /** Members for @mention autocomplete. */
  members?: readonly UserView[];
  selfId?: string;
  onSend: (message: ComposerSend) => void;
  onTyping?: () => void;
  onStopTyping?: () => void;
  /** Files chosen, pasted or dropped; the host uploads them and passes their state back in `uploads`. */
  onAddFiles?: (files: File[]) => void;
  uploads?: readonly PendingUpload[];
  onRemoveUpload?: (id: string) => void;
  /** Editing an existing message: the composer holds its text; Enter saves, Escape cancels. */
  editing?: MessageView | null;
  onSaveEdit?: (message: MessageView, text: string, mentioned_users: string[]) => void;
  onCancelEdit?: () => void;
  /** Shown instead of the input, e.g. "You are muted in this channel until 14:30". */
  disabledReason?: string;
  /** Arrow Up in an empty composer edits the viewer's last message. */
  onEditLast?: () => void;
  draftStore?: DraftStore;
  maxLength?: number;
  autoFocus?: boolean;
}

/**
 * The message composer: a growing textarea (Enter sends, Shift+Enter breaks the line), @mention
 * autocomplete, attachments (button, paste, drop) with progress, edit mode, drafts per channel, a throttled
 * typing signal, and a disabled state that says why.
 */
export function Composer(props: ComposerProps) {
  const { cid, parentId, members = [], selfId, uploads = [], editing, disabledReason, maxLength = 5000 } = props;
  const store = props.draftStore ?? defaultDrafts;
  const key = draftKey(cid, parentId);
  const [text, setText] = useState(() => store.get(key)?.text ?? '');
  const [picked, setPicked] = useState<UserView[]>(() => store.get(key)?.mentioned ?? []);
  const [query, setQuery] = useState<MentionQuery | null>(null);
  const [dragging, setDragging] = useState(false);
  const [emojiOpen, setEmojiOpen] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const emojiRef = useRef<HTMLButtonElement>(null);
  const listId = useId();
  const hintId = useId();
  const label = props.isDm ? `Message ${props.channelLabel}` : `Message #${props.channelLabel}`;

  const cb = useRef(props);
  cb.current = props;
  const typing = useMemo(
    () => createTypingThrottle({ onTyping: () => cb.current.onTyping?.(), onStopTyping: () => cb.current.onStopTyping?.() }),
    [],
  );
  useEffect(() => () => typing.stop(), [typing, key]);

  // Switching channel: save happens on every change; load the new channel's draft.
  const loadedKey = useRef(key);
  useEffect(() => {
    if (loadedKey.current === key) return;
    loadedKey.current = key;
    const d = store.get(key);
    setText(d?.text ?? '');
    setPicked(d?.mentioned ?? []);
    setQuery(null);
  }, [key, store]);

  // Edit mode takes the message's text; leaving it restores the draft.
  const editingId = editing?.id;
  useEffect(() => {
    if (editing) {
      setText(editing.text ?? '');
      setPicked(editing.mentioned_users ?? []);
      requestAnimationFrame(() => {
        const el = ref.current;
        if (el) {
          el.focus();
          el.setSelectionRange(el.value.length, el.value.length);
        }
      });
    } else {
      const d = store.get(key);
      setText(d?.text ?? '');
      setPicked(d?.mentioned ?? []);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editingId]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, Math.round(window.innerHeight * 0.4))}px`;
  }, [text]);

  const suggestions = useMemo(
    () => (query ? filterMembers(members, query.query, { excludeId: selfId, limit: 8 }) : []),
    [query, members, selfId],
  );

  const update = (value: string, caret: number) => {
    setText(value);
    setQuery(activeMentionQuery(value, caret));
    if (!editing) {
      store.set(key, { text: value, mentioned: picked });
      if (value.trim()) typing.keystroke();
    }
  };

  const pick = (i: number) => {
    const u = suggestions[i];
    const el = ref.current;
    if (!u || !query || !el) return;
    const next = insertMention(text, query, el.selectionStart ?? text.length, u);
    const nextPicked = picked.some((p) => p.id === u.id) ? picked : [...picked, u];
    setPicked(nextPicked);
    setText(next.text);
    setQuery(null);
    if (!editing) store.set(key, { text: next.text, mentioned: nextPicked });
    requestAnimationFrame(() => el.setSelectionRange(next.caret, next.caret));
  };
  const nav = useListNav(suggestions.length, pick, { tabPicks: true, resetKey: query?.query });

  const uploading = uploads.some((u) => u.state === 'uploading');
  const done = uploads.filter((u) => u.state === 'done');
  const canSend = !uploading && (text.trim().length > 0 || done.length > 0) && text.length <= maxLength;

  const submit = () => {
    if (!canSend) return;
    const ids = mentionedIds(text, picked);
    if (editing) {
      props.onSaveEdit?.(editing, text.trim(), ids);
      return;
    }
    props.onSend({ text: text.trim(), mentioned_users: ids, upload_ids: done.map((u) => u.id) });
    typing.stop();
    setText('');
    setPicked([]);
    setQuery(null);
    store.clear(key);
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (query && suggestions.length) {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setQuery(null);
        return;
      }
      if (nav.onKeyDown(e)) return;
    }
    if (e.key === 'Escape' && editing) {
      e.preventDefault();
      e.stopPropagation();
      props.onCancelEdit?.();
      return;
    }
    if (e.key === 'ArrowUp' && !text && !editing && props.onEditLast) {
      e.preventDefault();
      props.onEditLast();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const addFiles = (files: FileList | File[] | null) => {
    const list = files ? [...files] : [];
    if (list.length && props.onAddFiles) props.onAddFiles(list);
  };

  if (disabledReason) {
    return (
      <div className="rc-composer rc-composer-disabled" role="status">
        <span>{disabledReason}</span>
      </div>
    );
  }

  return (
    <div
      className={`rc-composer${dragging ? ' rc-composer-drag' : ''}${editing ? ' rc-composer-editing' : ''}`}
      onDragOver={(e) => {
        if (!props.onAddFiles || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node)) setDragging(false);
      }}
      onDrop={(e) => {
        if (!props.onAddFiles) return;
        e.preventDefault();
        setDragging(false);
        addFiles(e.dataTransfer.files);
      }}
    >
      {editing && (
        <div className="rc-composer-banner" id={hintId}>
          Editing message — Enter to save, Escape to cancel
          <button type="button" className="rc-btn rc-btn-small" onClick={() => props.onCancelEdit?.()}>
            Cancel
          </button>
        </div>
      )}
      {query && suggestions.length > 0 && (
        <ul id={listId} role="listbox" aria-label="Mention someone" className="rc-mention-list rc-popover">
          {suggestions.map((u, i) => (
            <li
              key={u.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === nav.active}
              className="rc-option"
              onMouseDown={(e) => {
                e.preventDefault();
                pick(i);
              }}
              onMouseMove={() => nav.setActive(i)}
            >
              <strong>{userName(u)}</strong>
              {readableId(u) && <span className="rc-option-sub">{readableId(u)}</span>}
            </li>
          ))}
        </ul>
      )}
      {uploads.length > 0 && (
        <ul className="rc-uploads" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.id} className={`rc-upload rc-upload-${u.state}`}>
              {u.preview_url ? <img src={u.preview_url} alt="" width={48} height={48} /> : <Icon name="file" />}
              <span className="rc-upload-text">
                <span className="rc-upload-name">{u.file_name}</span>
                <span className="rc-option-sub">
                  {u.state === 'failed' ? (u.error_text ?? 'Upload failed') : u.state === 'done' ? formatFileSize(u.file_size) : `Uploading ${Math.round((u.progress ?? 0) * 100)}%`}
                </span>
                {u.state === 'uploading' && (
                  <progress max={1} value={u.progress ?? 0} aria-label={`Uploading ${u.file_name}`} />
                )}
              </span>
              {props.onRemoveUpload && (
                <button type="button" className="rc-icon-btn" aria-label={`Remove ${u.file_name}`} onClick={() => props.onRemoveUpload?.(u.id)}>
                  <Icon name="close" />
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="rc-composer-row">
        {props.onAddFiles && !editing && (
          <>
            <button type="button" className="rc-icon-btn" aria-label="Attach files" onClick={() => fileRef.current?.click()}>
              <Icon name="paperclip" />
            </button>
            <input
              ref={fileRef}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              onChange={(e) => {
                addFiles(e.target.files);
                e.target.value = '';
              }}
            />
          </>
        )}
        <textarea
          ref={ref}
          className="rc-composer-input"
          aria-label={label}
          aria-describedby={editing ? hintId : undefined}
          placeholder={label}
          rows={1}
          value={text}
          autoFocus={props.autoFocus}
          role={query && suggestions.length ? 'combobox' : undefined}
          aria-expanded={query && suggestions.length ? true : undefined}
          aria-controls={query && suggestions.length ? listId : undefined}
          aria-activedescendant={query && suggestions[nav.active] ? `${listId}-${nav.active}` : undefined}
          aria-autocomplete={query && suggestions.length ? 'list' : undefined}
          onChange={(e) => update(e.target.value, e.target.selectionStart ?? e.target.value.length)}
          onSelect={(e) => setQuery(activeMentionQuery(text, (e.target as HTMLTextAreaElement).selectionStart ?? text.length))}
          onKeyDown={onKeyDown}
          onBlur={() => typing.stop()}
          onPaste={(e) => {
            const files = [...e.clipboardData.files];
            if (files.length && props.onAddFiles) {
              e.preventDefault();
              addFiles(files);
            }
          }}
        />
        <button
          ref={emojiRef}
          type="button"
          className="rc-icon-btn"
          aria-label="Insert emoji"
          aria-expanded={emojiOpen}
          aria-haspopup="dialog"
          onClick={() => setEmojiOpen((o) => !o)}
        >
          <Icon name="smile" />
        </button>
        <button type="button" className="rc-icon-btn rc-composer-send" aria-label={editing ? 'Save edit' : 'Send message'} disabled={!canSend} onClick={submit}>
          <Icon name="send" />
        </button>
      </div>
      {text.length > maxLength && (
        <p className="rc-composer-over" role="alert">
          {text.length - maxLength} characters over the limit of {maxLength}
        </p>
      )}
      {emojiOpen && (
        <Popover anchor={emojiRef} label="Insert emoji" onClose={() => setEmojiOpen(false)}>
          <LazyEmojiPicker
            onClose={() => setEmojiOpen(false)}
            onPick={(emoji) => {
              const el = ref.current;
              const at = el?.selectionStart ?? text.length;
              const next = text.slice(0, at) + emoji + text.slice(el?.selectionEnd ?? at);
              update(next, at + emoji.length);
              setEmojiOpen(false);
              requestAnimationFrame(() => {
                el?.focus();
                el?.setSelectionRange(at + emoji.length, at + emoji.length);
              });
            }}
          />
        </Popover>
      )}
    </div>
  );
}
