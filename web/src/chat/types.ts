// Wire shapes of the Stream Chat protocol as Rill's engine serves them (docs/protocol.md, shared/protocol-notes.md
// §7, and the schemas of the client-side OpenAPI file). Custom data is flat on the wire, so every object that can
// carry custom fields has an index signature of `unknown`: the UI must narrow custom fields before use.

/** A user as the server shows it (`UserResponse`). */
export interface User {
  id: string;
  name?: string;
  image?: string;
  role?: string;
  online?: boolean;
  last_active?: string;
  banned?: boolean;
  created_at?: string;
  updated_at?: string;
  deactivated_at?: string;
  deleted_at?: string;
  [custom: string]: unknown;
}

/** The signed-in user (`OwnUserResponse`, the `me` of the first `health.check`). */
export interface OwnUser extends User {
  unread_count?: number;
  total_unread_count?: number;
  unread_channels?: number;
  mutes?: unknown[];
  channel_mutes?: unknown[];
}

export interface Attachment {
  type?: string;
  asset_url?: string;
  image_url?: string;
  thumb_url?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fallback?: string;
  original_width?: number;
  original_height?: number;
  file_size?: number;
  mime_type?: string;
  [custom: string]: unknown;
}

export interface Reaction {
  message_id: string;
  user_id: string;
  user?: User;
  type: string;
  score: number;
  created_at: string;
  updated_at: string;
  [custom: string]: unknown;
}

/** `regular`, `reply`, `system`, `deleted`, `error` (a refused send, never stored) or `ephemeral`. */
export type MessageType = 'regular' | 'reply' | 'system' | 'deleted' | 'error' | 'ephemeral' | (string & {});

/** A message as the server shows it (`MessageResponse`). */
export interface Message {
  id: string;
  text: string;
  html?: string;
  type: MessageType;
  user: User;
  cid: string;
  attachments: Attachment[];
  latest_reactions: Reaction[];
  own_reactions: Reaction[];
  reaction_counts: Record<string, number>;
  reaction_scores: Record<string, number>;
  reply_count: number;
  created_at: string;
  updated_at: string;
  mentioned_users: User[];
  silent?: boolean;
  shadowed?: boolean;
  pinned?: boolean;
  parent_id?: string;
  show_in_channel?: boolean;
  quoted_message_id?: string;
  quoted_message?: Message;
  deleted_at?: string;
  message_text_updated_at?: string;
  thread_participants?: User[];
  [custom: string]: unknown;
}

/** What a client sends to create or replace a message (`MessageRequest`). */
export interface MessageInput {
  id?: string;
  text?: string;
  attachments?: Attachment[];
  mentioned_users?: string[];
  parent_id?: string;
  show_in_channel?: boolean;
  quoted_message_id?: string;
  silent?: boolean;
  [custom: string]: unknown;
}

export interface ChannelConfig {
  name?: string;
  typing_events?: boolean;
  read_events?: boolean;
  connect_events?: boolean;
  reactions?: boolean;
  replies?: boolean;
  uploads?: boolean;
  max_message_length?: number;
  [other: string]: unknown;
}

/** A channel (`ChannelResponse`); `name` and `image` are custom fields by convention. */
export interface Channel {
  id: string;
  type: string;
  cid: string;
  created_at: string;
  updated_at: string;
  frozen?: boolean;
  disabled?: boolean;
  created_by?: User;
  deleted_at?: string;
  last_message_at?: string;
  member_count?: number;
  config?: ChannelConfig;
  own_capabilities?: string[];
  truncated_at?: string;
  hidden?: boolean;
  muted?: boolean;
  name?: string;
  image?: string;
  [custom: string]: unknown;
}

export interface Member {
  user_id?: string;
  user?: User;
  channel_role?: string;
  created_at?: string;
  updated_at?: string;
  banned?: boolean;
  /** A timed ban in this channel (the Hub's "mute in this channel") ends then. */
  ban_expires?: string;
  invited?: boolean;
  notifications_muted?: boolean;
  [custom: string]: unknown;
}

export interface ReadState {
  user: User;
  last_read: string;
  unread_messages: number;
  last_read_message_id?: string;
}

/** `ChannelStateResponse`: one element of QueryChannels, or the answer of GetOrCreateChannel. */
export interface ChannelState {
  channel: Channel;
  messages: Message[];
  pinned_messages?: Message[];
  members: Member[];
  membership?: Member;
  read?: ReadState[];
  watcher_count?: number;
  watchers?: User[];
  hidden?: boolean;
}

/** One sort key: `[{field: 'last_message_at', direction: -1}]`. */
export interface SortParam {
  field: string;
  direction: 1 | -1;
}

export type Filter = Record<string, unknown>;

export interface MessagePaging {
  limit?: number;
  id_lt?: string;
  id_lte?: string;
  id_gt?: string;
  id_gte?: string;
  id_around?: string;
  created_at_before?: string;
  created_at_after?: string;
  created_at_around?: string;
}

export interface QueryChannelsRequest {
  filter_conditions: Filter;
  sort?: SortParam[];
  limit?: number;
  offset?: number;
  message_limit?: number;
  member_limit?: number;
  state?: boolean;
  watch?: boolean;
  presence?: boolean;
}

export interface ChannelQueryRequest {
  data?: Record<string, unknown> & { members?: string[] };
  state?: boolean;
  watch?: boolean;
  presence?: boolean;
  messages?: MessagePaging;
  members?: { limit?: number; offset?: number };
  watchers?: { limit?: number; offset?: number };
}

export interface SearchRequest {
  filter_conditions: Filter;
  query?: string;
  message_filter_conditions?: Filter;
  sort?: SortParam[];
  limit?: number;
  offset?: number;
  next?: string;
}

export interface SearchResponse {
  results: { message: Message & { channel?: Channel } }[];
  next?: string;
  previous?: string;
}

export interface QueryUsersRequest {
  filter_conditions: Filter;
  sort?: SortParam[];
  limit?: number;
  offset?: number;
  presence?: boolean;
}

export interface QueryMembersRequest {
  type: string;
  id?: string;
  members?: string[];
  filter_conditions: Filter;
  sort?: SortParam[];
  limit?: number;
  offset?: number;
}

export interface Flag {
  created_at: string;
  updated_at: string;
  target_message_id?: string;
  target_user?: User;
  reason?: string;
  [other: string]: unknown;
}

export interface UploadResponse {
  /** The URL of the stored file. */
  file: string;
  thumb_url?: string;
  /** Rill's own: the image's size, for image uploads. */
  width?: number;
  height?: number;
}

/** What `GET /hub/api/chat/session` answers (docs/hub-api.md), and what a token provider returns. */
export interface ChatSession {
  api_key: string;
  base_url: string;
  user_id: string;
  token: string;
  /** RFC 3339. */
  expires_at: string;
}
