// View types for the chat components: the Stream protocol's own shapes (snake_case, as in the OpenAPI
// `MessageResponse`, `ChannelResponse`, `UserResponse`, ...), trimmed to the fields the UI reads, plus the few
// local fields the client's stores add (a message's `status`). Every field the wire may omit is optional, so a
// store can pass what it has straight through.

/** ISO 8601 timestamps as the wire carries them (`created_at`, ...). `Date` objects are accepted too. */
export type Timestamp = string | Date;

export interface UserView {
  id: string;
  name?: string;
  image?: string;
  online?: boolean;
  last_active?: Timestamp;
  role?: string;
  /** Custom fields: inline on the classic wire format, or under `custom` as in the OpenAPI schema. */
  custom?: Record<string, unknown>;
}

export type AttachmentView = {
  type?: 'image' | 'file' | 'video' | 'audio' | (string & {});
  image_url?: string;
  asset_url?: string;
  thumb_url?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fallback?: string;
  file_size?: number;
  mime_type?: string;
  original_width?: number;
  original_height?: number;
};

export interface ReactionView {
  type: string;
  user_id?: string;
  user?: UserView;
  score?: number;
  created_at?: Timestamp;
}

export interface ReactionGroupView {
  count: number;
  sum_scores?: number;
  first_reaction_at?: Timestamp;
  last_reaction_at?: Timestamp;
}

/** A message's delivery state as the client's store keeps it; absent means sent. */
export type MessageStatus = 'sending' | 'sent' | 'failed';

export interface MessageView {
  id: string;
  text?: string;
  /** `regular`, `reply`, `system`, `deleted`, `error`, `ephemeral`. */
  type?: string;
  user?: UserView;
  cid?: string;
  attachments?: AttachmentView[];
  mentioned_users?: UserView[];
  latest_reactions?: ReactionView[];
  own_reactions?: ReactionView[];
  reaction_counts?: Record<string, number>;
  reaction_scores?: Record<string, number>;
  reaction_groups?: Record<string, ReactionGroupView>;
  reply_count?: number;
  parent_id?: string;
  show_in_channel?: boolean;
  thread_participants?: UserView[];
  quoted_message?: MessageView;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  deleted_at?: Timestamp;
  /** Set when the text was edited (Stream's marker of an edit, as opposed to a reaction's update). */
  message_text_updated_at?: Timestamp;
  pinned?: boolean;
  silent?: boolean;
  shadowed?: boolean;
  /** Local: the optimistic send's state. */
  status?: MessageStatus;
  /** Local: why a send failed, shown beside Retry. */
  error_text?: string;
}

export interface ChannelMemberView {
  user_id?: string;
  user?: UserView;
  channel_role?: string;
  role?: string;
  banned?: boolean;
  archived_at?: Timestamp | null;
  pinned_at?: Timestamp | null;
}

export interface ChannelView {
  id: string;
  type: string;
  cid: string;
  /** Custom data on the classic wire format is inline: `name`, `image`, `topic`, `project_id`, ... */
  name?: string;
  image?: string;
  topic?: string;
  description?: string;
  project_id?: string;
  project_name?: string;
  member_count?: number;
  last_message_at?: Timestamp;
  created_at?: Timestamp;
  frozen?: boolean;
  disabled?: boolean;
  hidden?: boolean;
  muted?: boolean;
  own_capabilities?: string[];
  /** The OpenAPI schema's place for custom data; read as a fallback to the inline fields. */
  custom?: Record<string, unknown>;
}

/** One row of the channel list: a channel with its viewer-specific state (as a `ChannelStateResponse` gives). */
export interface ChannelListEntry {
  channel: ChannelView;
  /** The viewer's unread messages in it (`read[].unread_messages` for the viewer). */
  unread_count?: number;
  /** The viewer's unread mentions (shown as the badge's emphasis). */
  unread_mentions?: number;
  /** The channel's members (the first ones), used to name and badge DMs. */
  members?: ChannelMemberView[];
  /** The viewer's membership (`membership` in `ChannelStateResponse`): `archived_at` files it under Archived. */
  membership?: ChannelMemberView | null;
  /** Overrides the inference of a direct message (a distinct `!members-` id, or no name and two members). */
  kind?: 'channel' | 'dm';
}

/** A read state (`ReadStateResponse`). */
export interface ReadView {
  user: UserView;
  last_read: Timestamp;
  last_read_message_id?: string;
  unread_messages?: number;
}

/** An attachment being uploaded by the composer, as the client's upload store reports it. */
export interface PendingUpload {
  id: string;
  file_name: string;
  mime_type?: string;
  file_size?: number;
  /** 0-1; undefined while it waits to start. */
  progress?: number;
  state: 'uploading' | 'done' | 'failed';
  /** A local object URL for image previews. */
  preview_url?: string;
  error_text?: string;
}

/** A search hit (`SearchResult.message` with its channel). */
export interface SearchResultView {
  message: MessageView & { channel?: ChannelView };
}

export type FlagReason = 'spam' | 'harassment' | 'inappropriate' | 'other';

/** Reads a custom field inline (classic wire) or under `custom` (OpenAPI). */
export function customField(obj: { custom?: Record<string, unknown> } | undefined, key: string): unknown {
  if (!obj) return undefined;
  const inline = (obj as Record<string, unknown>)[key];
  if (inline !== undefined) return inline;
  return obj.custom?.[key];
}

export function userName(user: UserView | undefined): string {
  if (!user) return 'Unknown';
  return user.name && user.name.trim() ? user.name : user.id;
}

/**
 * The user's id when it means something to a person ("ann", "ann.lee"), shown beside the name to tell two
 * people of one name apart; undefined for an opaque id (the Hub's hex ids, UUIDs), which would only be noise.
 */
export function readableId(user: UserView): string | undefined {
  if (!user.name || user.name === user.id) return undefined;
  if (/^[0-9a-f-]{20,}$/i.test(user.id)) return undefined;
  return user.id;
}
