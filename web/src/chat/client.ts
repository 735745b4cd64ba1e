// The chat client: one per signed-in member. It owns the token, the socket and the channel stores, routes each
// event to the channel it names, keeps the channel list, and after every reconnect re-watches and resyncs what
// it was showing (watches do not survive a reconnect, and events sent while we were away are gone).

import { ChatApi } from './api';
import { ChannelStore, type ChannelSnapshot } from './channel';
import { systemClock, type Clock } from './clock';
import { Connection, browserSocket, type ConnectionState, type SocketFactory } from './connection';
import { Emitter, type ChatEvent, type ChatEventType, type EventOf, type UnknownEvent } from './events';
import { Http, type FetchLike } from './http';
import { messageId, uuid } from './ids';
import { timeKey } from './messages';
import { Store, type ReadableStore } from './store';
import { TokenManager, type TokenProvider } from './token';
import type {
  ChannelState,
  Filter,
  Member,
  OwnUser,
  QueryChannelsRequest,
  QueryMembersRequest,
  QueryUsersRequest,
  SearchRequest,
  SearchResponse,
  SortParam,
  User,
} from './types';
import { Uploader, browserXhr, type XhrFactory } from './upload';
import type { BackoffOptions } from './backoff';

function browserOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}

export interface ChatClientOptions {
  /** Where sessions come from: `hubSessionProvider()` in the web app. */
  tokenProvider: TokenProvider;
  fetch?: FetchLike;
  /** Whether the browser has a network (default `navigator.onLine`; always true where there is none). */
  isOnline?: () => boolean;
  createSocket?: SocketFactory;
  createXhr?: XhrFactory;
  clock?: Clock;
  /** [0, 1), for backoff jitter. */
  random?: () => number;
  /** Message ids; default `${user_id}-${uuid}`. */
  newId?: () => string;
  refreshMarginMs?: number;
  healthIntervalMs?: number;
  silenceTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  backoff?: BackoffOptions;
  typingTimeoutMs?: number;
}

export interface ChannelListQuery {
  /** Default: channels we are a member of. */
  filter?: Filter;
  /** Default: newest message first. The list is kept in `last_message_at` order as messages arrive. */
  sort?: SortParam[];
  /** Channels per page (the engine caps it at 30). */
  limit?: number;
  /** Messages per channel. */
  messageLimit?: number;
}

export type SyncState = { status: 'idle' } | { status: 'syncing' } | { status: 'failed'; error: Error };

/** The engine answers at most 30 channels per QueryChannels. */
const CHANNELS_PER_QUERY = 30;
const MESSAGE_LIMIT = 25;
/** A resync asks for more messages per channel than a first load: most gaps then need no second request. */
const RESYNC_MESSAGE_LIMIT = 100;

export class ChatClient {
  readonly api: ChatApi;
  readonly tokens: TokenManager;
  /** `connecting | online | offline (with nextRetryAt) | closed`. */
  readonly connection: ReadableStore<ConnectionState>;
  /** The channel list, newest activity first; each element is that channel's current snapshot. */
  readonly channels: ReadableStore<readonly ChannelSnapshot[]>;
  /** Users we know, with presence (`online`, `last_active`) kept current by events. */
  readonly users: ReadableStore<ReadonlyMap<string, User>>;
  /** The signed-in user, with unread totals; undefined before the first connection. */
  readonly me: ReadableStore<OwnUser | undefined>;
  /** The resync after a reconnect. */
  readonly sync: ReadableStore<SyncState>;

  private readonly emitter = new Emitter();
  private readonly socket: Connection;
  private readonly uploader: Uploader;
  private readonly clock: Clock;
  private readonly newId: () => string;
  private readonly typingTimeoutMs: number | undefined;
  private readonly stores = new Map<string, ChannelStore>();
  private readonly unsubscribes = new Map<string, () => void>();
  /** Channels in the list (a channel opened from search is held but not listed). */
  private readonly listed = new Set<string>();
  /** Channels to watch, with the connection each is watched on (none: watched while offline, or not yet). */
  private readonly watched = new Map<string, string | undefined>();
  private readonly listStore = new Store<readonly ChannelSnapshot[]>([]);
  private readonly userStore = new Store<ReadonlyMap<string, User>>(new Map());
  private readonly meStore = new Store<OwnUser | undefined>(undefined);
  private readonly syncStore = new Store<SyncState>({ status: 'idle' });
  private listQuery: QueryChannelsRequest | undefined;
  private userId = '';

  constructor(options: ChatClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.tokens = new TokenManager({
      provider: options.tokenProvider,
      clock: this.clock,
      ...(options.refreshMarginMs !== undefined && { refreshMarginMs: options.refreshMarginMs }),
    });
    const http = new Http(options.fetch ?? ((input, init) => globalThis.fetch(input, init)), this.tokens);
    this.api = new ChatApi(http);
    this.uploader = new Uploader(http, this.tokens, options.createXhr ?? browserXhr);
    this.newId = options.newId ?? (() => messageId(this.userId, uuid));
    this.typingTimeoutMs = options.typingTimeoutMs;
    this.socket = new Connection({
      tokens: this.tokens,
      createSocket: options.createSocket ?? browserSocket,
      clock: this.clock,
      random: options.random ?? Math.random,
      ...(options.healthIntervalMs !== undefined && { healthIntervalMs: options.healthIntervalMs }),
      ...(options.silenceTimeoutMs !== undefined && { silenceTimeoutMs: options.silenceTimeoutMs }),
      ...(options.handshakeTimeoutMs !== undefined && { handshakeTimeoutMs: options.handshakeTimeoutMs }),
      ...(options.backoff !== undefined && { backoff: options.backoff }),
      isOnline: options.isOnline ?? browserOnline,
      onEvent: (event) => this.onEvent(event),
      onConnected: (info) => this.onConnected(info.me, info.connectionId, info.reconnect),
    });
    this.connection = this.socket.state;
    this.channels = this.listStore;
    this.users = this.userStore;
    this.me = this.meStore;
    this.sync = this.syncStore;
  }

  // ---- Connection ---------------------------------------------------------------------------------------

  /** Fetches a session and connects; resolves with `me` once online. Keeps reconnecting on its own after. */
  async connect(): Promise<OwnUser | undefined> {
    this.userId = (await this.tokens.current()).user_id;
    return this.socket.open();
  }

  /** Disconnects for good and releases timers (sign-out). */
  disconnect(): void {
    this.socket.close();
    this.tokens.stop();
    for (const store of this.stores.values()) store.dispose();
  }

  /** Retry now instead of waiting out the backoff (wire to the browser's `online` and `visibilitychange`). */
  reconnectNow(): void {
    this.socket.reconnectNow();
  }

  /** The browser went offline: show it at once and retry with backoff (wire to the `offline` event). */
  networkLost(): void {
    this.socket.networkLost();
  }

  get currentUserId(): string {
    return this.userId;
  }

  on<T extends ChatEventType>(type: T, listener: (event: EventOf<T>) => void): () => void;
  on(type: '*', listener: (event: ChatEvent | UnknownEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    return this.emitter.on(type as '*', listener as (event: ChatEvent | UnknownEvent) => void);
  }

  // ---- Channels -----------------------------------------------------------------------------------------

  /** The store of one channel (created empty if new; call `watchChannel` or `store.watch()` to load it). */
  channel(type: string, id: string): ChannelStore {
    const cid = `${type}:${id}`;
    let store = this.stores.get(cid);
    if (!store) {
      store = new ChannelStore(type, id, {
        api: this.api,
        uploader: this.uploader,
        clock: this.clock,
        userId: () => this.userId,
        connectionId: () => this.socket.connectionId,
        newMessageId: this.newId,
        onWatched: (watchedStore, state, connectionId) => this.register(watchedStore, state, connectionId),
        ...(this.typingTimeoutMs !== undefined && { typingTimeoutMs: this.typingTimeoutMs }),
      });
      this.stores.set(cid, store);
      this.unsubscribes.set(cid, store.subscribe(() => this.refreshList(cid)));
    }
    return store;
  }

  /** Loads and watches one channel (opening a channel from search or a link). */
  async watchChannel(type: string, id: string, messageLimit = MESSAGE_LIMIT): Promise<ChannelStore> {
    await this.settledConnectionId();
    const store = this.channel(type, id);
    await store.watch(messageLimit);
    return store;
  }

  /** Loads the channel list (first page) and watches every channel in it. */
  async queryChannels(query: ChannelListQuery = {}): Promise<readonly ChannelSnapshot[]> {
    if (!this.userId) this.userId = (await this.tokens.current()).user_id;
    this.listQuery = {
      filter_conditions: query.filter ?? { members: { $in: [this.userId] } },
      sort: query.sort ?? [{ field: 'last_message_at', direction: -1 }],
      limit: Math.min(query.limit ?? 20, CHANNELS_PER_QUERY),
      message_limit: query.messageLimit ?? MESSAGE_LIMIT,
      state: true,
      watch: true,
      presence: true,
    };
    await this.runListQuery(this.listQuery, 0);
    return this.listStore.getSnapshot();
  }

  /** The next page of the channel list. Resolves false when there was nothing more. */
  async loadMoreChannels(): Promise<boolean> {
    if (!this.listQuery) return false;
    const found = await this.runListQuery(this.listQuery, this.listed.size);
    return found > 0;
  }

  /** Opens (creating if needed) the direct-message channel of us and `userIds`: the distinct channel of exactly
   * those members, so asking twice gives the same channel. */
  async openDirectMessage(userIds: readonly string[]): Promise<ChannelStore> {
    const members = [...new Set([this.userId, ...userIds])];
    const connectionId = await this.settledConnectionId();
    const request = { state: true, watch: true, presence: true, data: { members }, messages: { limit: MESSAGE_LIMIT } };
    const state = await this.api.queryDistinctChannel('messaging', request, connectionId);
    return this.adopt(state, MESSAGE_LIMIT, connectionId);
  }

  /** Removes a channel from the list (after hiding or leaving it). */
  forgetChannel(cid: string): void {
    this.listed.delete(cid);
    this.watched.delete(cid);
    this.stores.get(cid)?.dispose();
    this.unsubscribes.get(cid)?.();
    this.unsubscribes.delete(cid);
    this.stores.delete(cid);
    this.rebuildList();
  }

  // ---- Queries -------------------------------------------------------------------------------------------

  /** Full-text search in our channels (or `filter`). */
  search(text: string, options: Partial<SearchRequest> = {}): Promise<SearchResponse> {
    return this.api.search({
      filter_conditions: options.filter_conditions ?? { members: { $in: [this.userId] } },
      query: text,
      limit: 20,
      ...options,
    });
  }

  /** Users by name prefix, for the member picker and @mentions. */
  async searchUsers(prefix: string, options: Partial<QueryUsersRequest> = {}): Promise<User[]> {
    const filter = prefix === '' ? {} : { $or: [{ name: { $autocomplete: prefix } }, { id: { $autocomplete: prefix } }] };
    const users = await this.api.queryUsers({ filter_conditions: filter, sort: [{ field: 'name', direction: 1 }], limit: 10, ...options });
    this.rememberUsers(users);
    return users;
  }

  async queryMembers(request: QueryMembersRequest): Promise<Member[]> {
    const members = await this.api.queryMembers(request);
    this.rememberUsers(members.flatMap((member) => member.user ?? []));
    return members;
  }

  flagMessage(messageId: string, reason?: string): ReturnType<ChatApi['flagMessage']> {
    return this.api.flagMessage(messageId, reason);
  }

  flagUser(userId: string, reason?: string): ReturnType<ChatApi['flagUser']> {
    return this.api.flagUser(userId, reason);
  }

  // ---- Internals ----------------------------------------------------------------------------------------

  /** The connection id to watch with: waits out a connection attempt in progress, and is undefined offline
   * (the query still answers; the channel is watched on the next connection). */
  private async settledConnectionId(): Promise<string | undefined> {
    if (this.socket.state.getSnapshot().status !== 'connecting') return this.socket.connectionId;
    await new Promise<void>((resolve) => {
      const stop = this.socket.state.subscribe(() => {
        if (this.socket.state.getSnapshot().status !== 'connecting') {
          stop();
          resolve();
        }
      });
    });
    return this.socket.connectionId;
  }

  private async runListQuery(query: QueryChannelsRequest, offset: number): Promise<number> {
    const connectionId = await this.settledConnectionId();
    const states = await this.api.queryChannels({ ...query, offset }, connectionId);
    for (const state of states) this.adopt(state, query.message_limit ?? MESSAGE_LIMIT, connectionId);
    return states.length;
  }

  /** Takes a channel's state from a query into its store, the list and the watch set. */
  private adopt(state: ChannelState, messageLimit: number, connectionId: string | undefined): ChannelStore {
    const store = this.channel(state.channel.type, state.channel.id);
    store.applyState(state, messageLimit);
    this.register(store, state, connectionId);
    return store;
  }

  /** Records a channel as watched on `connectionId` and listed, and remembers its users. */
  private register(store: ChannelStore, state: ChannelState, connectionId: string | undefined): void {
    this.rememberUsers([...state.members.flatMap((member) => member.user ?? []), ...(state.watchers ?? [])]);
    this.watched.set(store.cid, connectionId);
    if (!this.listed.has(store.cid)) {
      this.listed.add(store.cid);
      this.rebuildList();
    }
  }

  private onConnected(me: OwnUser | undefined, connectionId: string, reconnect: boolean): void {
    if (me) {
      this.userId = me.id;
      this.meStore.set(me);
      this.rememberUsers([me]);
    }
    const stale = [...this.watched].filter(([, watchedOn]) => watchedOn !== connectionId).map(([cid]) => cid);
    // On the first connection a list query may be waiting for this very connection id: it watches by itself.
    if (stale.length > 0 || (reconnect && this.listQuery)) void this.resync(stale, connectionId);
  }

  /**
   * Re-watches and merges what was missed: the list's first page (channels we were added to meanwhile) and
   * every other channel we were watching, by cid, 30 per request. A channel the server no longer returns by
   * cid is one we lost access to, so it leaves the list.
   */
  private async resync(cids: readonly string[], connectionId: string): Promise<void> {
    this.syncStore.set({ status: 'syncing' });
    try {
      const seen = new Set<string>();
      if (this.listQuery) {
        const request = { ...this.listQuery, offset: 0, message_limit: RESYNC_MESSAGE_LIMIT };
        if (!(await this.resyncStates(await this.api.queryChannels(request, connectionId), connectionId, seen))) return;
      }
      const rest = cids.filter((cid) => !seen.has(cid));
      for (let start = 0; start < rest.length; start += CHANNELS_PER_QUERY) {
        const batch = rest.slice(start, start + CHANNELS_PER_QUERY);
        const states = await this.api.queryChannels(
          {
            filter_conditions: { cid: { $in: batch } },
            limit: CHANNELS_PER_QUERY,
            message_limit: RESYNC_MESSAGE_LIMIT,
            state: true,
            watch: true,
            presence: true,
          },
          connectionId,
        );
        if (!(await this.resyncStates(states, connectionId, seen))) return;
        for (const cid of batch) if (!seen.has(cid)) this.forgetChannel(cid);
      }
      if (this.socket.connectionId === connectionId) this.syncStore.set({ status: 'idle' });
    } catch (error) {
      // The next reconnect tries again; meanwhile the UI can say the view may be stale.
      this.syncStore.set({ status: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /** Merges a resync's states; false when a newer connection took over meanwhile (its own resync wins). */
  private async resyncStates(states: readonly ChannelState[], connectionId: string, seen: Set<string>): Promise<boolean> {
    for (const state of states) {
      if (this.socket.connectionId !== connectionId) return false;
      const cid = state.channel.cid;
      seen.add(cid);
      const store = this.stores.get(cid);
      if (!store) {
        this.adopt(state, RESYNC_MESSAGE_LIMIT, connectionId);
        continue;
      }
      await store.resync(state, RESYNC_MESSAGE_LIMIT);
      this.register(store, state, connectionId);
    }
    return this.socket.connectionId === connectionId;
  }

  private onEvent(event: ChatEvent | UnknownEvent): void {
    const typed = event as ChatEvent;
    this.trackMe(typed);
    this.trackUsers(typed);
    const cid = typeof event.cid === 'string' && event.cid !== '*' ? event.cid : undefined;
    if (cid) this.routeChannelEvent(cid, typed);
    else if (typed.type === 'user.presence.changed' || typed.type === 'user.updated' || typed.type === 'notification.mark_read') {
      // Presence concerns every channel the user is in; a mark-read without a cid marked every channel read.
      for (const store of this.stores.values()) store.applyEvent(typed);
    }
    this.emitter.emit(event);
  }

  private routeChannelEvent(cid: string, event: ChatEvent): void {
    const store = this.stores.get(cid);
    if (store) store.applyEvent(event);
    switch (event.type) {
      case 'notification.removed_from_channel':
      case 'channel.deleted':
      case 'notification.channel_deleted':
      case 'channel.hidden':
        this.forgetChannel(cid);
        return;
      case 'member.removed':
        if ((event.member.user_id ?? event.member.user?.id) === this.userId) this.forgetChannel(cid);
        return;
      case 'message.new':
      case 'notification.message_new':
      case 'notification.added_to_channel':
      case 'channel.visible':
        // A channel we are not showing came alive (a new DM, an invite, un-hidden): load it into the list.
        if (!this.listed.has(cid)) void this.watchCid(cid);
        return;
      default:
        return;
    }
  }

  private async watchCid(cid: string): Promise<void> {
    const [type, ...rest] = cid.split(':');
    if (!type || rest.length === 0) return;
    try {
      await this.watchChannel(type, rest.join(':'));
    } catch (error) {
      console.warn(`chat: could not load ${cid}`, error);
    }
  }

  /** Keeps `me` and its unread totals current: events addressed to us carry our totals. */
  private trackMe(event: ChatEvent): void {
    const me = this.meStore.getSnapshot();
    if ((event.type === 'notification.mutes_updated' || event.type === 'notification.channel_mutes_updated') && event.me) {
      this.meStore.set({ ...me, ...event.me });
      return;
    }
    if (!me) return;
    const totals: Partial<OwnUser> = {};
    if (typeof event.total_unread_count === 'number') totals.total_unread_count = event.total_unread_count;
    if (typeof event.unread_channels === 'number') totals.unread_channels = event.unread_channels;
    if (event.type === 'user.banned' && event.user.id === me.id && !event.cid) totals.banned = true;
    if (event.type === 'user.unbanned' && event.user.id === me.id && !event.cid) totals.banned = false;
    const changed = Object.entries(totals).some(([key, value]) => me[key] !== value);
    if (changed) this.meStore.set({ ...me, ...totals });
  }

  private trackUsers(event: ChatEvent): void {
    if (event.type === 'user.presence.changed' || event.type === 'user.updated') this.rememberUsers([event.user], true);
  }

  /** Merges users into the user store; `fresh` copies (from presence events) win over what is held. */
  private rememberUsers(users: readonly User[], fresh = false): void {
    if (users.length === 0) return;
    const current = this.userStore.getSnapshot();
    let next: Map<string, User> | undefined;
    for (const user of users) {
      const held = current.get(user.id);
      if (held && !fresh && !isNewer(user, held)) continue;
      const merged = { ...held, ...user };
      if (held && JSON.stringify(held) === JSON.stringify(merged)) continue;
      next ??= new Map(current);
      next.set(user.id, merged);
    }
    if (next) this.userStore.set(next);
  }

  private refreshList(cid: string): void {
    if (this.listed.has(cid)) this.rebuildList();
  }

  /** The list in activity order. Unchanged channels keep their snapshot objects, and an unchanged list keeps
   * its array, so React re-renders only what changed. */
  private rebuildList(): void {
    const snapshots = [...this.listed].flatMap((cid) => this.stores.get(cid)?.getSnapshot() ?? []);
    snapshots.sort(byActivity);
    const previous = this.listStore.getSnapshot();
    const same = previous.length === snapshots.length && previous.every((item, index) => item === snapshots[index]);
    if (!same) this.listStore.set(snapshots);
  }
}

function activity(snapshot: ChannelSnapshot): string {
  const at = snapshot.channel?.last_message_at ?? snapshot.channel?.created_at;
  return at ? timeKey(at) : '';
}

function byActivity(a: ChannelSnapshot, b: ChannelSnapshot): number {
  const order = activity(b).localeCompare(activity(a));
  return order !== 0 ? order : a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0;
}

function isNewer(candidate: User, held: User): boolean {
  if (!candidate.updated_at || !held.updated_at) return true;
  return timeKey(candidate.updated_at) >= timeKey(held.updated_at);
}

export function createChatClient(options: ChatClientOptions): ChatClient {
  return new ChatClient(options);
}
