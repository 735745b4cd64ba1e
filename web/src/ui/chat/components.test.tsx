// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { Composer } from './Composer';
import { createDraftStore } from './draftStore';
import { MessageRow } from './MessageRow';
import { FlagDialog } from './FlagDialog';
import { ChannelList } from './ChannelList';
import type { ChannelListEntry, MessageView } from './types';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;
let host: HTMLElement | null = null;
function render(node: React.ReactNode) {
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
  act(() => root?.render(node));
  return host;
}
afterEach(() => {
  act(() => root?.unmount());
  host?.remove();
  root = null;
  document.body.innerHTML = '';
});

function type(el: HTMLTextAreaElement | HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value')?.set;
  act(() => {
    setter?.call(el, value);
    el.setSelectionRange?.(value.length, value.length);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
function key(el: Element, k: string, extra: KeyboardEventInit = {}) {
  act(() => {
    el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...extra }));
  });
}
function click(el: Element | null | undefined) {
  if (!el) throw new Error('nothing to click');
  act(() => {
    (el as HTMLElement).click();
  });
}
const byLabel = (root: ParentNode, label: string) => root.querySelector(`[aria-label="${label}"]`);

describe('Composer', () => {
  const members = [
    { id: 'ann', name: 'Ann Lee' },
    { id: 'ben', name: 'Ben' },
  ];
  it('is labelled for the channel, sends on Enter with mentions, and keeps Shift+Enter for new lines', () => {
    const onSend = vi.fn();
    const el = render(<Composer cid="messaging:general" channelLabel="general" members={members} onSend={onSend} draftStore={createDraftStore(null)} />);
    const ta = byLabel(el, 'Message #general') as HTMLTextAreaElement;
    expect(ta).toBeTruthy();
    type(ta, 'hi @an');
    const options = el.querySelectorAll('[role="option"]');
    expect([...options].map((o) => o.textContent)).toEqual(['Ann Leeann']);
    key(ta, 'Tab');
    expect(ta.value).toBe('hi @Ann Lee ');
    key(ta, 'Enter', { shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    key(ta, 'Enter');
    expect(onSend).toHaveBeenCalledWith({ text: 'hi @Ann Lee', mentioned_users: ['ann'], upload_ids: [] });
    expect(ta.value).toBe('');
  });
  it('closes the mention list on Escape without sending', () => {
    const onSend = vi.fn();
    const el = render(<Composer cid="c" channelLabel="general" members={members} onSend={onSend} draftStore={createDraftStore(null)} />);
    const ta = byLabel(el, 'Message #general') as HTMLTextAreaElement;
    type(ta, '@b');
    expect(el.querySelectorAll('[role="option"]')).toHaveLength(1);
    key(ta, 'Escape');
    expect(el.querySelectorAll('[role="option"]')).toHaveLength(0);
  });
  it('keeps a draft per channel', () => {
    const store = createDraftStore(null);
    const el = render(<Composer cid="a" channelLabel="Ann" isDm onSend={() => {}} draftStore={store} />);
    const ta = byLabel(el, 'Message Ann') as HTMLTextAreaElement;
    type(ta, 'half written');
    act(() => root?.render(<Composer cid="b" channelLabel="b" onSend={() => {}} draftStore={store} />));
    expect((byLabel(el, 'Message #b') as HTMLTextAreaElement).value).toBe('');
    act(() => root?.render(<Composer cid="a" channelLabel="Ann" isDm onSend={() => {}} draftStore={store} />));
    expect((byLabel(el, 'Message Ann') as HTMLTextAreaElement).value).toBe('half written');
  });
  it('shows the reason instead of the input when disabled', () => {
    const el = render(<Composer cid="a" channelLabel="a" onSend={() => {}} disabledReason="This channel is archived" />);
    expect(el.querySelector('textarea')).toBeNull();
    expect(el.textContent).toContain('This channel is archived');
  });
  it('does not send while an upload is in progress, and cancels an edit on Escape', () => {
    const onSend = vi.fn();
    const onCancelEdit = vi.fn();
    const el = render(
      <Composer
        cid="a"
        channelLabel="a"
        onSend={onSend}
        draftStore={createDraftStore(null)}
        uploads={[{ id: 'u1', file_name: 'x.png', state: 'uploading', progress: 0.4 }]}
      />,
    );
    const ta = byLabel(el, 'Message #a') as HTMLTextAreaElement;
    type(ta, 'with file');
    key(ta, 'Enter');
    expect(onSend).not.toHaveBeenCalled();
    expect(el.querySelector('progress')?.getAttribute('aria-label')).toBe('Uploading x.png');
    act(() =>
      root?.render(
        <Composer cid="a" channelLabel="a" onSend={onSend} editing={{ id: 'm1', text: 'old' }} onCancelEdit={onCancelEdit} draftStore={createDraftStore(null)} />,
      ),
    );
    key(byLabel(el, 'Message #a') as Element, 'Escape');
    expect(onCancelEdit).toHaveBeenCalled();
  });
});

describe('MessageRow', () => {
  const base: MessageView = {
    id: 'm1',
    text: 'hello **there** @Me',
    user: { id: 'ann', name: 'Ann' },
    created_at: '2026-12-01T10:00:00Z',
    mentioned_users: [{ id: 'me', name: 'Me' }],
    reaction_counts: { like: 2, love: 1 },
    own_reactions: [{ type: 'like', user_id: 'me' }],
    reply_count: 3,
  };
  it('is an article named by its author, with actions for others and reactions that toggle', () => {
    const onToggle = vi.fn();
    const onFlag = vi.fn();
    const onThread = vi.fn();
    const el = render(<MessageRow message={base} selfId="me" onToggleReaction={onToggle} onFlag={onFlag} onOpenThread={onThread} onEdit={() => {}} onDelete={() => {}} />);
    const article = el.querySelector('article');
    expect(article?.getAttribute('aria-label')).toMatch(/^Ann, /);
    expect(article?.className).toContain('rc-msg-mentions-me');
    expect(byLabel(el, 'Edit message')).toBeNull();
    expect(byLabel(el, 'Delete message')).toBeNull();
    click(byLabel(el, 'Flag message'));
    expect(onFlag).toHaveBeenCalledWith(base);
    const like = el.querySelector('.rc-reaction[aria-pressed="true"]');
    expect(like?.textContent).toBe('👍2');
    click(like);
    expect(onToggle).toHaveBeenCalledWith(base, 'like', true);
    click(el.querySelector('.rc-reaction[aria-pressed="false"]'));
    expect(onToggle).toHaveBeenLastCalledWith(base, 'love', false);
    click([...el.querySelectorAll('button')].find((b) => b.textContent === '3 replies'));
    click(byLabel(el, 'Reply in thread'));
    expect(onThread).toHaveBeenCalledTimes(2);
  });
  it('offers edit and a confirmed delete on own messages', () => {
    const onDelete = vi.fn();
    const el = render(<MessageRow message={{ ...base, user: { id: 'me' } }} selfId="me" onEdit={() => {}} onDelete={onDelete} onFlag={() => {}} />);
    expect(byLabel(el, 'Flag message')).toBeNull();
    expect(byLabel(el, 'Edit message')).toBeTruthy();
    click(byLabel(el, 'Delete message'));
    expect(onDelete).not.toHaveBeenCalled();
    click([...el.querySelectorAll('button')].find((b) => b.textContent === 'Delete'));
    expect(onDelete).toHaveBeenCalledTimes(1);
  });
  it('shows a failed send with Retry, and a deleted message without its text', () => {
    const onRetry = vi.fn();
    const el = render(<MessageRow message={{ ...base, status: 'failed' }} selfId="me" onRetry={onRetry} />);
    click([...el.querySelectorAll('button')].find((b) => b.textContent === 'Retry'));
    expect(onRetry).toHaveBeenCalled();
    act(() => root?.render(<MessageRow message={{ ...base, type: 'deleted', text: '' }} selfId="me" />));
    expect(el.textContent).toContain('This message was deleted.');
    expect(el.querySelector('.rc-reaction')).toBeNull();
  });
  it('reserves the image box and refuses unsafe attachment URLs', () => {
    const el = render(
      <MessageRow
        message={{
          ...base,
          attachments: [
            { type: 'image', image_url: 'https://cdn.example/a.png', original_width: 1200, original_height: 600 },
            { type: 'file', asset_url: 'javascript:alert(1)', title: 'evil.pdf', file_size: 2048 },
          ],
        }}
        selfId="me"
      />,
    );
    const img = el.querySelector('img[src="https://cdn.example/a.png"]');
    expect(img?.getAttribute('width')).toBe('360');
    expect(img?.getAttribute('height')).toBe('180');
    expect(el.querySelector('a[href^="javascript"]')).toBeNull();
    expect(el.textContent).toContain('evil.pdf');
    expect(el.textContent).toContain('2.0 KB');
  });
});

describe('FlagDialog', () => {
  it('needs a reason, and text for "other"', async () => {
    const onSubmit = vi.fn();
    const el = render(<FlagDialog onSubmit={onSubmit} onCancel={() => {}} inline />);
    expect(el.querySelector('[role="dialog"]')?.getAttribute('aria-modal')).toBe('true');
    const submit = [...el.querySelectorAll('button')].find((b) => b.textContent === 'Flag') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    click(el.querySelector('input[value="other"]'));
    expect(submit.disabled).toBe(true);
    type(el.querySelector('textarea') as HTMLTextAreaElement, 'bad link');
    expect(submit.disabled).toBe(false);
    await act(async () => submit.click());
    expect(onSubmit).toHaveBeenCalledWith('other', 'bad link');
  });
  it('closes on Escape', () => {
    const onCancel = vi.fn();
    const el = render(<FlagDialog onSubmit={() => {}} onCancel={onCancel} inline />);
    key(el.querySelector('[role="dialog"]') as Element, 'Escape');
    expect(onCancel).toHaveBeenCalled();
  });
});

describe('ChannelList', () => {
  const entries: ChannelListEntry[] = [
    { channel: { id: 'general', type: 'team', cid: 'team:general', name: 'general' }, unread_count: 12 },
    { channel: { id: 'random', type: 'team', cid: 'team:random', name: 'random' } },
    { channel: { id: 'old', type: 'team', cid: 'team:old', name: 'old' }, membership: { archived_at: '2026-01-01T00:00:00Z' } },
  ];
  it('shows exact unread counts in bold, hides Archived until expanded or filtered, and moves with arrows', () => {
    const onSelect = vi.fn();
    const el = render(<ChannelList channels={entries} activeCid="team:random" onSelect={onSelect} />);
    const general = byLabel(el, 'general, 12 unread') as HTMLElement;
    expect(general.className).toContain('rc-cl-unread');
    expect(general.textContent).toContain('12');
    expect(el.querySelector('[aria-current="page"]')?.textContent).toContain('random');
    expect(el.textContent).not.toContain('old');
    act(() => general.focus());
    key(general, 'ArrowDown');
    expect(document.activeElement?.textContent).toContain('random');
    key(document.activeElement as Element, 'Enter');
    click(document.activeElement);
    expect(onSelect).toHaveBeenCalledWith('team:random');
    const archivedToggle = [...el.querySelectorAll('button[aria-expanded]')].find((b) => b.textContent?.includes('Archived'));
    expect(archivedToggle?.getAttribute('aria-expanded')).toBe('false');
    click(archivedToggle);
    expect(el.textContent).toContain('old');
    click(archivedToggle);
    type(byLabel(el, 'Find a conversation') as HTMLInputElement, 'ol');
    expect(el.textContent).toContain('old');
    expect(el.textContent).not.toContain('random');
  });
});
