// One channel's state, as immutable snapshots the UI subscribes to, and the actions on it (send, page, react,
// mark read, type). Events, pages, resyncs and answers all merge through `messages.ts`, so they can arrive in any
// order and any number of times without showing a message twice.

import type { ChatApi, SendMessageOptions } from './api';
import { Timer, type Clock } from './clock';
import { ErrorCodes, StreamError } from './errors';
import type { ChatEvent } from './events';
import {
  addOwnReaction,
  compareMessages,
  mergeMessage,
  remove,
  removeOwnReaction,
  showsInChannel,
  timeKey,
  withStatus,
  type LocalMessage,
  type Source,
} from './messages';
import { Store } from './store';
import type { UploadKind, UploadOptions, Uploader } from './upload';
import type {
  Attachment,
  Channel,
  ChannelQueryRequest,
  ChannelState,
  Member,
  Message,
  MessageInput,
  Reaction,
  ReadState,
  UploadResponse,
  User,
} from './types';

export interface ThreadState {
  readonly parentId: string;
  readonly replies: readonly LocalMessage[];
  /** Whether older replies may exist on the server (page with `loadOlderReplies`). */
  readonly hasOlder: boolean;
  readonly loaded: boolean;
}

export interface TypingUser {
  readonly user: User;
  /** Set when typing in a thread. */
  readonly parentId?: string;
}

export interface ChannelSnapshot {
  readonly cid: string;
  readonly type: string;
  readonly id: string;
  /** Undefined until the first query answers. */
  readonly channel: Channel | undefined;
  /** The channel's messages (thread replies only with `show_in_channel`), oldest first. */
  readonly messages: readonly LocalMessage[];
  readonly hasOlder: boolean;
  readonly loadingOlder: boolean;
  readonly threads: Readonly<Record<string, ThreadState>>;
  readonly members: Readonly<Record<string, Member>>;
  /** Read state per user id: read receipts, and ours. */
  readonly read: Readonly<Record<string, ReadState>>;
  /** Our unread messages in this channel. */
  readonly unreadCount: number;
  /** Who is typing now, not counting us. */
  readonly typing: readonly TypingUser[];
  readonly watcherCount: number;
  readonly ownCapabilities: readonly string[];
}

export interface ChannelContext {
  api: ChatApi;
  uploader: Uploader;
  clock: Clock;
  userId(): string;
  connectionId(): string | undefined;
  newMessageId(): string;
  /** Typing users vanish after this long without a stop (default 7 s). */
  typingTimeoutMs?: number;
  /** Told after `watch()` so the owner re-watches the channel after a reconnect. */
  onWatched?: (store: ChannelStore, state: ChannelState, connectionId: string | undefined) => void;
}

export interface SendInput extends Omit<MessageInput, 'id'> {
  text: string;
}

/** A partial snapshot being built up before one `patch`. */
type Change = { -readonly [K in keyof ChannelSnapshot]?: ChannelSnapshot[K] };

/** Page sizes: the engine's default page is 25; resync and gap filling take bigger bites. */
const PAGE = 25;
const GAP_PAGE = 100;
const MAX_GAP_PAGES = 5;

/** Typing etiquette from the notes: a start at most every 2 s while typing, a stop 3 s after the last key. */
const TYPING_REPEAT_MS = 2_000;
const TYPING_IDLE_MS = 3_000;

export class ChannelStore {
  private readonly store: Store<ChannelSnapshot>;
  /** Every message held, channel and threads, for lookups by id. */
  private readonly byId = new Map<string, LocalMessage>();
  /** The full inputs of unconfirmed sends, for `retry`. */
  private readonly pending = new Map<string, { input: MessageInput; options: SendMessageOptions }>();
  /** Replies already counted into their parent's `reply_count`, whichever of event or answer came first. */
  private readonly countedReplies = new Set<string>();
  private readonly typingTimers = new Map<string, Timer>();
  private readonly typingTimeoutMs: number;
  private lastTypingStartAt = -Infinity;
  private typingParent: string | undefined;
  private readonly typingStopTimer: Timer;

  readonly subscribe: Store<ChannelSnapshot>['subscribe'];
  readonly getSnapshot: Store<ChannelSnapshot>['getSnapshot'];

  constructor(
    readonly type: string,
    readonly id: string,
    private readonly ctx: ChannelContext,
  ) {
    this.store = new Store<ChannelSnapshot>({
      cid: `${type}:${id}`,
      type,
      id,
      channel: undefined,
      messages: [],
      hasOlder: true,
      loadingOlder: false,
      threads: {},
      members: {},
      read: {},
      unreadCount: 0,
      typing: [],
      watcherCount: 0,
      ownCapabilities: [],
    });
    this.subscribe = this.store.subscribe;
    this.getSnapshot = this.store.getSnapshot;
    this.typingTimeoutMs = ctx.typingTimeoutMs ?? 7_000;
    this.typingStopTimer = new Timer(ctx.clock);
  }

  get cid(): string {
    return `${this.type}:${this.id}`;
  }

  private get snapshot(): ChannelSnapshot {
    return this.store.getSnapshot();
  }

  private patch(change: Change): void {
    this.store.set({ ...this.snapshot, ...change });
  }

  // ---- Loading -------------------------------------------------------------------------------------------

  /** Queries and watches the channel (the newest page of messages). */
  async watch(limit = PAGE): Promise<ChannelSnapshot> {
    const connectionId = this.ctx.connectionId();
    const request = this.watchRequest({ messages: { limit } });
    const state = await this.ctx.api.queryChannel(this.type, this.id, request, connectionId);
    this.applyState(state, limit);
    this.ctx.onWatched?.(this, state, connectionId);
    return this.snapshot;
  }

  /** Pages older messages (`messages.id_lt` the oldest held). Resolves false when there were none. */
  async loadOlder(limit = PAGE): Promise<boolean> {
    const oldest = this.snapshot.messages.find((message) => message.status === 'sent');
    if (!this.snapshot.hasOlder || this.snapshot.loadingOlder) return false;
    if (!oldest) return (await this.watch(limit)).messages.length > 0;
    this.patch({ loadingOlder: true });
    try {
      const state = await this.ctx.api.queryChannel(this.type, this.id, {
        state: true,
        messages: { limit, id_lt: oldest.id },
      });
      this.mergePage(state.messages, 'answer');
      this.patch({ hasOlder: state.messages.length >= limit });
      return state.messages.length > 0;
    } finally {
      this.patch({ loadingOlder: false });
    }
  }

  /**
   * Merges a channel's state from a query: the channel, members, reads and our unread count are the server's;
   * messages are merged by id. The first load sets whether older pages exist.
   */
  applyState(state: ChannelState, limit: number): void {
    const first = this.snapshot.channel === undefined;
    this.mergePage(state.messages, 'answer');
    const read = readMap(state.read);
    const mine = read[this.ctx.userId()];
    const change: Change = {
      channel: { ...this.snapshot.channel, ...state.channel },
      members: memberMap(state.members),
      read,
      watcherCount: state.watcher_count ?? this.snapshot.watcherCount,
      ownCapabilities: state.channel.own_capabilities ?? this.snapshot.ownCapabilities,
    };
    // The server's count is exact; without a read entry of ours we keep what events told us.
    if (mine) change.unreadCount = mine.unread_messages;
    if (first) change.hasOlder = state.messages.length >= limit;
    this.patch(change);
  }

  /**
   * After a reconnect: merges the newest page, and when it does not reach back to the newest message held (more
   * was missed than a page holds) fills the gap forward with `id_gt`. If the gap is too big, the loaded window is
   * reset to the newest page; older messages are still reachable with `loadOlder`, so none is lost.
   */
  async resync(state: ChannelState, limit: number): Promise<void> {
    const newestHeld = [...this.snapshot.messages].reverse().find((message) => message.status === 'sent');
    const page = state.messages;
    const reaches =
      !newestHeld || page.length < limit || page.some((message) => message.id === newestHeld.id) ||
      (page[0] !== undefined && compareMessages(page[0], newestHeld) <= 0);
    if (!reaches && newestHeld && !(await this.fillGap(newestHeld, page))) this.resetWindow();
    this.dropVanished(page, limit);
    this.applyState(state, limit);
  }

  /** Pages forward from `from` until the page meets `page`. False when it gave up (too big, or `from` vanished). */
  private async fillGap(from: LocalMessage, page: readonly Message[]): Promise<boolean> {
    const target = page[0];
    let cursor = from.id;
    for (let round = 0; round < MAX_GAP_PAGES; round += 1) {
      const answer = await this.ctx.api.queryChannel(this.type, this.id, {
        state: true,
        messages: { limit: GAP_PAGE, id_gt: cursor },
      });
      const found = answer.messages;
      this.mergePage(found, 'answer');
      const last = found[found.length - 1];
      if (!last) return found.length === 0 && round > 0;
      if (found.length < GAP_PAGE || !target || compareMessages(last, target) >= 0) return true;
      cursor = last.id;
    }
    return false;
  }

  /** Forgets the server messages held (keeping our unconfirmed sends) so the next page starts a fresh window. */
  private resetWindow(): void {
    const keep = this.snapshot.messages.filter((message) => message.status !== 'sent');
    for (const message of this.snapshot.messages) if (message.status === 'sent') this.byId.delete(message.id);
    this.patch({ messages: keep, hasOlder: true });
  }

  /**
   * Messages held inside the newest page's time span but absent from it were hard-deleted (or truncated) while
   * we were away: no event will ever say so.
   */
  private dropVanished(page: readonly Message[], limit: number): void {
    const oldest = page[0];
    const ids = new Set(page.map((message) => message.id));
    // A short page is the whole channel: everything held that it lacks is gone.
    const whole = page.length < limit;
    const gone = this.snapshot.messages.filter(
      (message) =>
        message.status === 'sent' &&
        !ids.has(message.id) &&
        (whole || (oldest !== undefined && compareMessages(message, oldest) >= 0)),
    );
    for (const message of gone) this.forget(message.id);
  }

  // ---- Merging ------------------------------------------------------------------------------------------

  /** Merges many messages at once: one snapshot, one sort. */
  private mergePage(page: readonly Message[], source: Source): void {
    const changed: LocalMessage[] = [];
    for (const incoming of page) {
      const existing = this.byId.get(incoming.id);
      const merged = mergeMessage(existing, incoming, source);
      if (merged !== existing) changed.push(merged);
    }
    this.write(changed);
  }

  /** Upserts one copy into the channel list and its thread; returns the copy kept. */
  private put(incoming: Message, source: Source): LocalMessage {
    const existing = this.byId.get(incoming.id);
    const merged = mergeMessage(existing, incoming, source);
    if (merged !== existing) this.write([merged]);
    return merged;
  }

  private putLocal(message: LocalMessage): void {
    this.write([message]);
  }

  /**
   * Writes copies into the index and the lists they belong to. A copy that no longer shows in the channel (or
   * moved thread) leaves the list it was in, since every changed id is taken out before being put back.
   */
  private write(changed: readonly LocalMessage[]): void {
    if (changed.length === 0) return;
    const ids = new Set(changed.map((message) => message.id));
    const previousParents = new Set<string>();
    for (const message of changed) {
      const previous = this.byId.get(message.id);
      if (previous?.parent_id) previousParents.add(previous.parent_id);
      this.byId.set(message.id, message);
    }
    const change: Change = {};
    const inChannel = changed.filter(showsInChannel);
    if (inChannel.length > 0 || this.snapshot.messages.some((message) => ids.has(message.id))) {
      change.messages = reorder(this.snapshot.messages, ids, inChannel);
    }
    const parents = new Set([...previousParents, ...changed.flatMap((message) => message.parent_id ?? [])]);
    if (parents.size > 0) {
      const threads = { ...this.snapshot.threads };
      for (const parentId of parents) {
        const thread = threads[parentId] ?? emptyThread(parentId);
        const replies = changed.filter((message) => message.parent_id === parentId);
        threads[parentId] = { ...thread, replies: reorder(thread.replies, ids, replies) };
      }
      change.threads = threads;
    }
    this.patch(change);
  }

  private forget(id: string): void {
    const message = this.byId.get(id);
    if (!message) return;
    this.byId.delete(id);
    const change: Change = { messages: remove(this.snapshot.messages, id) };
    if (message.parent_id) {
      change.threads = this.withThread(message.parent_id, (thread) => ({ ...thread, replies: remove(thread.replies, id) }));
    }
    this.patch(change);
  }

  private withThread(parentId: string, change: (thread: ThreadState) => ThreadState): Record<string, ThreadState> {
    const thread = this.snapshot.threads[parentId] ?? emptyThread(parentId);
    return { ...this.snapshot.threads, [parentId]: change(thread) };
  }

  /** Counts a newly seen reply into its parent once, whether its event or our send's answer came first. */
  private countReply(reply: Message): void {
    if (!reply.parent_id || this.countedReplies.has(reply.id)) return;
    this.countedReplies.add(reply.id);
    const parent = this.byId.get(reply.parent_id);
    if (parent) this.putLocal({ ...parent, reply_count: parent.reply_count + 1 });
  }

  // ---- Events -------------------------------------------------------------------------------------------

  /** Applies one event addressed to this channel. Unknown and irrelevant events change nothing. */
  applyEvent(event: ChatEvent): void {
    switch (event.type) {
      case 'message.new':
      case 'notification.message_new':
        this.onMessageNew(event.message);
        break;
      case 'message.updated':
        this.put(event.message, 'event');
        break;
      case 'message.deleted':
        if (event.hard_delete) this.forget(event.message.id);
        else this.put(event.message, 'event');
        break;
      case 'reaction.new':
      case 'reaction.updated':
      case 'reaction.deleted':
        this.onReaction(event.type, event.message, event.reaction);
        break;
      case 'typing.start':
      case 'typing.stop':
        this.onTyping(event.type === 'typing.start', event.user, event.parent_id);
        break;
      case 'message.read':
        this.onRead(event.user, event.created_at, event.last_read_message_id);
        break;
      case 'notification.mark_read':
        this.patch({ unreadCount: 0 });
        break;
      case 'notification.mark_unread':
        this.patch({ unreadCount: event.unread_messages });
        break;
      case 'member.added':
      case 'member.updated':
        this.onMember(event.member, false);
        break;
      case 'member.removed':
        this.onMember(event.member, true);
        break;
      case 'channel.updated':
      case 'channel.visible':
      case 'channel.hidden':
      case 'notification.added_to_channel':
        if (event.channel) this.patch({ channel: { ...this.snapshot.channel, ...event.channel } });
        break;
      case 'channel.truncated':
      case 'notification.channel_truncated':
        this.onTruncated(event.channel, event.message);
        break;
      case 'user.watching.start':
      case 'user.watching.stop':
        if (typeof event.watcher_count === 'number') this.patch({ watcherCount: event.watcher_count });
        break;
      case 'user.presence.changed':
      case 'user.updated':
        this.onUser(event.user);
        break;
      case 'user.banned':
      case 'user.unbanned':
        this.onBan(event.user, event.type === 'user.banned', event.expiration);
        break;
      default:
        break;
    }
  }

  private onMessageNew(incoming: Message): void {
    const me = this.ctx.userId();
    const seen = this.byId.get(incoming.id)?.status === 'sent';
    const message = this.put(incoming, 'event');
    if (seen) return;
    this.countReply(message);
    this.clearTyping(message.user.id);
    const change: Change = {};
    if (showsInChannel(message) && !message.shadowed) change.channel = this.withLastMessageAt(message.created_at);
    if (message.user.id === me) {
      // The engine marks a channel read for its sender, so our own message (from any tab) zeroes the count.
      change.unreadCount = 0;
      change.read = this.withRead(message.user, message.created_at, message.id);
    } else if (countsAsUnread(message)) {
      change.unreadCount = this.snapshot.unreadCount + 1;
    }
    this.patch(change);
  }

  private onReaction(type: ChatEvent['type'], incoming: Message, reaction: Reaction): void {
    const existing = this.byId.get(incoming.id);
    const merged = this.put(incoming, 'event');
    if (reaction.user_id !== this.ctx.userId()) return;
    const own = merged.own_reactions ?? existing?.own_reactions ?? [];
    const next =
      type === 'reaction.deleted'
        ? removeOwnReaction(own, reaction.type)
        : addOwnReaction(own, reaction, type === 'reaction.updated');
    this.putLocal({ ...merged, own_reactions: next });
  }

  private onRead(user: User, at: string, lastReadMessageId: string | undefined): void {
    const change: Change = { read: this.withRead(user, at, lastReadMessageId) };
    // Read in another tab of ours.
    if (user.id === this.ctx.userId()) change.unreadCount = 0;
    this.patch(change);
  }

  private withRead(user: User, at: string, lastReadMessageId: string | undefined): Record<string, ReadState> {
    const entry: ReadState = { user, last_read: at, unread_messages: 0 };
    if (lastReadMessageId !== undefined) entry.last_read_message_id = lastReadMessageId;
    return { ...this.snapshot.read, [user.id]: entry };
  }

  private withLastMessageAt(at: string): Channel | undefined {
    const channel = this.snapshot.channel;
    if (!channel) return channel;
    if (channel.last_message_at && timeKey(channel.last_message_at) >= timeKey(at)) return channel;
    return { ...channel, last_message_at: at };
  }

  private onMember(member: Member, removed: boolean): void {
    const userId = member.user_id ?? member.user?.id;
    if (!userId) return;
    const members = { ...this.snapshot.members };
    const known = userId in members;
    if (removed) delete members[userId];
    else members[userId] = member;
    // The header's "N members" follows joins and leaves without a new query.
    const channel = this.snapshot.channel;
    const delta = removed ? (known ? -1 : 0) : known ? 0 : 1;
    const count = channel?.member_count;
    if (channel && delta !== 0 && typeof count === 'number') {
      this.patch({ members, channel: { ...channel, member_count: Math.max(0, count + delta) } });
    } else this.patch({ members });
  }

  private onUser(user: User): void {
    const member = this.snapshot.members[user.id];
    if (!member) return;
    this.patch({ members: { ...this.snapshot.members, [user.id]: { ...member, user: { ...member.user, ...user } } } });
  }

  private onBan(user: User, banned: boolean, expires: string | undefined): void {
    const member = this.snapshot.members[user.id];
    if (!member) return;
    const { ban_expires: _old, ...rest } = member;
    const next: Member = banned && expires ? { ...rest, banned, ban_expires: expires } : { ...rest, banned };
    this.patch({ members: { ...this.snapshot.members, [user.id]: next } });
  }

  private onTruncated(channel: Channel, message: Message | undefined): void {
    const cutoff = channel.truncated_at;
    for (const held of [...this.byId.values()]) {
      if (held.status === 'sent' && (!cutoff || timeKey(held.created_at) <= timeKey(cutoff))) this.forget(held.id);
    }
    this.patch({ channel: { ...this.snapshot.channel, ...channel }, unreadCount: 0, hasOlder: false });
    if (message) this.put(message, 'event');
  }

  // ---- Typing -------------------------------------------------------------------------------------------

  private onTyping(started: boolean, user: User, parentId: string | undefined): void {
    if (user.id === this.ctx.userId()) return;
    if (!started) {
      this.clearTyping(user.id);
      return;
    }
    let timer = this.typingTimers.get(user.id);
    if (!timer) {
      timer = new Timer(this.ctx.clock);
      this.typingTimers.set(user.id, timer);
    }
    // A stop can be lost (the typist's tab closed): expire on our own.
    timer.set(this.typingTimeoutMs, () => this.clearTyping(user.id));
    const entry: TypingUser = parentId === undefined ? { user } : { user, parentId };
    this.patch({ typing: [...this.snapshot.typing.filter((typing) => typing.user.id !== user.id), entry] });
  }

  private clearTyping(userId: string): void {
    this.typingTimers.get(userId)?.clear();
    this.typingTimers.delete(userId);
    if (this.snapshot.typing.some((typing) => typing.user.id === userId)) {
      this.patch({ typing: this.snapshot.typing.filter((typing) => typing.user.id !== userId) });
    }
  }

  /** Call on every keystroke in the composer: sends `typing.start` at most every 2 s and `typing.stop` after 3 s
   * without keys. */
  keystroke(parentId?: string): void {
    if (!this.may('send-typing-events')) return;
    const now = this.ctx.clock.now();
    if (now - this.lastTypingStartAt >= TYPING_REPEAT_MS || parentId !== this.typingParent) {
      this.lastTypingStartAt = now;
      this.typingParent = parentId;
      this.sendTyping('typing.start', parentId);
    }
    this.typingStopTimer.set(TYPING_IDLE_MS, () => this.stopTyping());
  }

  /** Sends `typing.stop` if we said we were typing (on send, blur). */
  stopTyping(): void {
    if (!this.typingStopTimer.armed && this.lastTypingStartAt === -Infinity) return;
    this.typingStopTimer.clear();
    this.lastTypingStartAt = -Infinity;
    this.sendTyping('typing.stop', this.typingParent);
  }

  private sendTyping(type: 'typing.start' | 'typing.stop', parentId: string | undefined): void {
    const event = parentId === undefined ? { type } : { type, parent_id: parentId };
    // Typing is best-effort: a lost indicator is not worth an error in the UI.
    this.ctx.api.sendEvent(this.type, this.id, event).catch(() => undefined);
  }

  // ---- Sending ------------------------------------------------------------------------------------------

  /**
   * Shows the message at once (`sending`) with a client-generated id, then replaces it with the server's copy
   * (`sent`), or marks it `failed` with the error. The id makes `retry` safe: the server never stores two.
   */
  async sendMessage(input: SendInput, options: SendMessageOptions = {}): Promise<LocalMessage> {
    const id = this.ctx.newMessageId();
    const full: MessageInput = { ...input, id };
    this.pending.set(id, { input: full, options });
    this.putLocal(this.optimistic(full));
    this.stopTyping();
    return this.deliver(id);
  }

  /** Resends a failed message with the same id. */
  async retry(id: string): Promise<LocalMessage> {
    const held = this.byId.get(id);
    if (!held || held.status !== 'failed' || !this.pending.has(id)) {
      throw new Error(`message ${id} is not a failed send`);
    }
    this.putLocal(withStatus(held, 'sending'));
    return this.deliver(id);
  }

  /** Drops a failed message the user gave up on. */
  discard(id: string): void {
    if (this.byId.get(id)?.status === 'sent') return;
    this.pending.delete(id);
    this.forget(id);
  }

  private async deliver(id: string): Promise<LocalMessage> {
    const sending = this.pending.get(id);
    if (!sending) throw new Error(`message ${id} is not pending`);
    try {
      const answer = await this.sendOrRecover(sending.input, sending.options);
      return this.confirm(id, answer);
    } catch (error) {
      return this.fail(id, error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A resend of a message that did reach the server is refused as a duplicate id (code 4); fetch the stored
   * copy instead, since that is exactly what the first attempt created. */
  private async sendOrRecover(input: MessageInput, options: SendMessageOptions): Promise<Message> {
    try {
      return await this.ctx.api.sendMessage(this.type, this.id, input, options);
    } catch (error) {
      const duplicate =
        error instanceof StreamError && error.code === ErrorCodes.inputError && /already exists/.test(error.message);
      if (duplicate && input.id) return await this.ctx.api.getMessage(input.id);
      throw error;
    }
  }

  private confirm(id: string, answer: Message): LocalMessage {
    // A frozen channel or a blocklist answers 201 with a message of type `error`: not stored, so not sent.
    if (answer.type === 'error') return this.fail(id, new StreamError({ code: ErrorCodes.notAllowed, message: answer.text, statusCode: 201 }));
    this.pending.delete(id);
    const kept = this.put(answer, 'answer');
    this.countReply(kept);
    this.patch({ unreadCount: 0, channel: this.withLastMessageAt(kept.created_at) });
    return kept;
  }

  private fail(id: string, error: Error): LocalMessage {
    const held = this.byId.get(id);
    // The message arrived over the socket while the request failed (a lost answer): it was sent after all.
    if (!held || held.status === 'sent') {
      this.pending.delete(id);
      return held as LocalMessage;
    }
    const failed = withStatus(held, 'failed', error);
    this.putLocal(failed);
    return failed;
  }

  private optimistic(input: MessageInput): LocalMessage {
    const now = new Date(this.ctx.clock.now()).toISOString();
    const me = this.snapshot.members[this.ctx.userId()]?.user ?? { id: this.ctx.userId() };
    const message: Message = {
      ...input,
      id: input.id as string,
      text: input.text ?? '',
      type: input.parent_id ? 'reply' : 'regular',
      user: me,
      cid: this.cid,
      attachments: (input.attachments ?? []) as Attachment[],
      latest_reactions: [],
      own_reactions: [],
      reaction_counts: {},
      reaction_scores: {},
      reply_count: 0,
      created_at: now,
      updated_at: now,
      mentioned_users: (input.mentioned_users ?? []).map((id) => ({ id })),
    };
    return withStatus(message, 'sending');
  }

  // ---- Editing, reactions, threads, read ------------------------------------------------------------------

  async editMessage(id: string, change: Omit<MessageInput, 'id'>): Promise<LocalMessage> {
    const held = this.byId.get(id);
    const body: MessageInput & { id: string } = {
      id,
      text: held?.text ?? '',
      attachments: held?.attachments ?? [],
      ...change,
    };
    return this.put(await this.ctx.api.updateMessage(body), 'answer');
  }

  async deleteMessage(id: string, options: { hard?: boolean } = {}): Promise<void> {
    const answer = await this.ctx.api.deleteMessage(id, options.hard ?? false);
    if (options.hard) this.forget(id);
    else this.put(answer, 'answer');
  }

  /** Adds our reaction at once; the server's answer replaces the guess, and a failure takes it back. */
  async react(messageId: string, type: string, options: { enforceUnique?: boolean; score?: number } = {}): Promise<void> {
    const before = this.byId.get(messageId);
    if (before) this.putLocal(withOwnReaction(before, type, this.ctx.userId(), this.ctx.clock.now()));
    try {
      const reaction = options.score === undefined ? { type } : { type, score: options.score };
      const answer = await this.ctx.api.sendReaction(messageId, reaction, { enforce_unique: options.enforceUnique ?? false });
      this.put(answer.message, 'answer');
    } catch (error) {
      this.rollback(messageId, before);
      throw error;
    }
  }

  async unreact(messageId: string, type: string): Promise<void> {
    const before = this.byId.get(messageId);
    if (before) this.putLocal(withoutOwnReaction(before, type));
    try {
      const answer = await this.ctx.api.deleteReaction(messageId, type);
      this.put(answer.message, 'answer');
    } catch (error) {
      this.rollback(messageId, before);
      throw error;
    }
  }

  /** Puts back the copy held before an optimistic change, unless the server has sent a newer one since. */
  private rollback(messageId: string, before: LocalMessage | undefined): void {
    const now = this.byId.get(messageId);
    if (before && now && now.updated_at === before.updated_at) this.putLocal(before);
  }

  /** Loads a thread's newest replies. */
  async loadReplies(parentId: string, limit = PAGE): Promise<ThreadState> {
    const replies = await this.ctx.api.getReplies(parentId, { limit });
    this.mergeReplies(parentId, replies, limit);
    return this.snapshot.threads[parentId] as ThreadState;
  }

  async loadOlderReplies(parentId: string, limit = PAGE): Promise<boolean> {
    const thread = this.snapshot.threads[parentId];
    const oldest = thread?.replies.find((reply) => reply.status === 'sent');
    if (!oldest) return (await this.loadReplies(parentId, limit)).replies.length > 0;
    if (!thread?.hasOlder) return false;
    const replies = await this.ctx.api.getReplies(parentId, { limit, id_lt: oldest.id });
    this.mergeReplies(parentId, replies, limit);
    return replies.length > 0;
  }

  private mergeReplies(parentId: string, replies: readonly Message[], limit: number): void {
    for (const reply of replies) {
      this.countedReplies.add(reply.id);
      this.put(reply, 'answer');
    }
    this.patch({ threads: this.withThread(parentId, (thread) => ({ ...thread, loaded: true, hasOlder: replies.length >= limit })) });
  }

  /** Marks the channel read (zeroes our count at once). Skipped when nothing is unread, unless forced. */
  async markRead(options: { force?: boolean } = {}): Promise<void> {
    if (!this.may('read-events')) return;
    if (this.snapshot.unreadCount === 0 && !options.force) return;
    this.patch({ unreadCount: 0 });
    await this.ctx.api.markRead(this.type, this.id);
  }

  async upload(kind: UploadKind, file: Blob, fileName: string, options?: UploadOptions): Promise<UploadResponse> {
    return this.ctx.uploader.upload(this.type, this.id, kind, file, fileName, options);
  }

  /** Stops watching (closing the channel's view); the channel stays in the list and in memory. */
  async stopWatching(): Promise<void> {
    const connectionId = this.ctx.connectionId();
    if (connectionId) await this.ctx.api.stopWatching(this.type, this.id, connectionId);
  }

  /** The request that watches this channel with the state the UI needs. */
  watchRequest(extra: ChannelQueryRequest = {}): ChannelQueryRequest {
    return { state: true, watch: true, presence: true, ...extra };
  }

  /** Capabilities gate actions only once the server has told them; before that, the server decides. */
  private may(capability: string): boolean {
    const capabilities = this.snapshot.ownCapabilities;
    return capabilities.length === 0 || capabilities.includes(capability);
  }

  /** Releases timers (the channel left the list). */
  dispose(): void {
    for (const timer of this.typingTimers.values()) timer.clear();
    this.typingTimers.clear();
    this.typingStopTimer.clear();
  }
}

/** Rill's rule: silent, system, shadowed and thread-only messages do not count as unread. */
function countsAsUnread(message: Message): boolean {
  return !message.silent && message.type !== 'system' && !message.shadowed && showsInChannel(message);
}

function emptyThread(parentId: string): ThreadState {
  return { parentId, replies: [], hasOlder: true, loaded: false };
}

/** `list` without the `ids`, plus `additions`, in order. Sorting a nearly sorted array is close to linear. */
function reorder(
  list: readonly LocalMessage[],
  ids: ReadonlySet<string>,
  additions: readonly LocalMessage[],
): readonly LocalMessage[] {
  return [...list.filter((message) => !ids.has(message.id)), ...additions].sort(compareMessages);
}

function readMap(reads: readonly ReadState[] | undefined): Record<string, ReadState> {
  const map: Record<string, ReadState> = {};
  for (const read of reads ?? []) map[read.user.id] = read;
  return map;
}

function memberMap(members: readonly Member[]): Record<string, Member> {
  const map: Record<string, Member> = {};
  for (const member of members) {
    const id = member.user_id ?? member.user?.id;
    if (id) map[id] = member;
  }
  return map;
}

function withOwnReaction(message: LocalMessage, type: string, userId: string, now: number): LocalMessage {
  if (message.own_reactions.some((reaction) => reaction.type === type)) return message;
  const at = new Date(now).toISOString();
  const reaction = { message_id: message.id, user_id: userId, type, score: 1, created_at: at, updated_at: at };
  return {
    ...message,
    own_reactions: [...message.own_reactions, reaction],
    reaction_counts: { ...message.reaction_counts, [type]: (message.reaction_counts[type] ?? 0) + 1 },
  };
}

function withoutOwnReaction(message: LocalMessage, type: string): LocalMessage {
  if (!message.own_reactions.some((reaction) => reaction.type === type)) return message;
  const count = Math.max(0, (message.reaction_counts[type] ?? 1) - 1);
  return {
    ...message,
    own_reactions: message.own_reactions.filter((reaction) => reaction.type !== type),
    reaction_counts: { ...message.reaction_counts, [type]: count },
  };
}
