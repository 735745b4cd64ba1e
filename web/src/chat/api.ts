// The REST calls the UI needs, one method per operation, with the paths and bodies of the client-side OpenAPI
// file and docs/protocol.md. No state lives here: ChatClient and ChannelStore merge the answers.

import { segment, type Http } from './http';
import type {
  Channel,
  ChannelQueryRequest,
  ChannelState,
  Flag,
  Member,
  Message,
  MessageInput,
  OwnUser,
  QueryChannelsRequest,
  QueryMembersRequest,
  QueryUsersRequest,
  Reaction,
  SearchRequest,
  SearchResponse,
  SortParam,
  User,
} from './types';

export interface SendMessageOptions {
  skip_push?: boolean;
  skip_enrich_url?: boolean;
}

export interface RepliesPaging {
  limit?: number;
  id_lt?: string;
  id_gt?: string;
  sort?: SortParam[];
}

export interface ChatEventRequest {
  type: string;
  parent_id?: string;
  [custom: string]: unknown;
}

function channelPath(type: string, id: string): string {
  return `/channels/${segment(type)}/${segment(id)}`;
}

export class ChatApi {
  constructor(readonly http: Http) {}

  /** `POST /channels`; `connectionId` makes `watch` and `presence` subscribe this socket. */
  async queryChannels(request: QueryChannelsRequest, connectionId?: string): Promise<ChannelState[]> {
    const answer = await this.http.request<{ channels: ChannelState[] }>('POST', '/channels', {
      body: request,
      query: { connection_id: connectionId },
    });
    return answer.channels;
  }

  /** `POST /channels/{type}/{id}/query`: get-or-create, watch, and page messages (`messages.id_lt`). */
  queryChannel(type: string, id: string, request: ChannelQueryRequest, connectionId?: string): Promise<ChannelState> {
    return this.http.request('POST', `${channelPath(type, id)}/query`, {
      body: request,
      query: { connection_id: connectionId },
    });
  }

  /** `POST /channels/{type}/query` with `data.members`: the distinct channel of exactly these members (a DM). */
  queryDistinctChannel(type: string, request: ChannelQueryRequest, connectionId?: string): Promise<ChannelState> {
    return this.http.request('POST', `/channels/${segment(type)}/query`, {
      body: request,
      query: { connection_id: connectionId },
    });
  }

  stopWatching(type: string, id: string, connectionId: string): Promise<unknown> {
    return this.http.request('POST', `${channelPath(type, id)}/stop-watching`, {
      body: {},
      query: { connection_id: connectionId },
    });
  }

  /** `POST .../message`. The message's `id` should be client-generated so a resend names the same message. */
  async sendMessage(type: string, id: string, message: MessageInput, options: SendMessageOptions = {}): Promise<Message> {
    const answer = await this.http.request<{ message: Message }>('POST', `${channelPath(type, id)}/message`, {
      body: { message, ...options },
    });
    return answer.message;
  }

  async getMessage(id: string): Promise<Message & { channel?: Channel }> {
    const answer = await this.http.request<{ message: Message & { channel?: Channel } }>('GET', `/messages/${segment(id)}`);
    return answer.message;
  }

  /** `POST /messages/{id}`: replaces text, attachments and custom data. */
  async updateMessage(message: MessageInput & { id: string }): Promise<Message> {
    const answer = await this.http.request<{ message: Message }>('POST', `/messages/${segment(message.id)}`, {
      body: { message },
    });
    return answer.message;
  }

  /** `PUT /messages/{id}`: changes only the named fields (pinning is `set: {pinned: true}`). */
  async partialUpdateMessage(id: string, set: Record<string, unknown>, unset: string[] = []): Promise<Message> {
    const answer = await this.http.request<{ message: Message }>('PUT', `/messages/${segment(id)}`, {
      body: { set, unset },
    });
    return answer.message;
  }

  /** `DELETE /messages/{id}`: soft by default (the message stays as `type: 'deleted'`). */
  async deleteMessage(id: string, hard = false): Promise<Message> {
    const answer = await this.http.request<{ message: Message }>('DELETE', `/messages/${segment(id)}`, {
      query: hard ? { hard: true } : {},
    });
    return answer.message;
  }

  sendReaction(
    messageId: string,
    reaction: { type: string; score?: number; [custom: string]: unknown },
    options: { enforce_unique?: boolean; skip_push?: boolean } = {},
  ): Promise<{ message: Message; reaction: Reaction }> {
    return this.http.request('POST', `/messages/${segment(messageId)}/reaction`, { body: { reaction, ...options } });
  }

  deleteReaction(messageId: string, type: string): Promise<{ message: Message; reaction: Reaction }> {
    return this.http.request('DELETE', `/messages/${segment(messageId)}/reaction/${segment(type)}`);
  }

  /** `GET /messages/{parent_id}/replies`, ascending; `id_lt` pages older replies. */
  async getReplies(parentId: string, paging: RepliesPaging = {}): Promise<Message[]> {
    const { sort, ...rest } = paging;
    const query: Record<string, string | number | undefined> = { ...rest };
    if (sort) query.sort = JSON.stringify(sort);
    const answer = await this.http.request<{ messages: Message[] }>('GET', `/messages/${segment(parentId)}/replies`, {
      query,
    });
    return answer.messages;
  }

  /** `POST .../read`: marks the channel read up to `message_id` (the newest when absent). */
  markRead(type: string, id: string, body: { message_id?: string; thread_id?: string } = {}): Promise<unknown> {
    return this.http.request('POST', `${channelPath(type, id)}/read`, { body });
  }

  /** `POST .../event`: typing (`typing.start` / `typing.stop`) and custom events. */
  sendEvent(type: string, id: string, event: ChatEventRequest): Promise<unknown> {
    return this.http.request('POST', `${channelPath(type, id)}/event`, { body: { event } });
  }

  /** `POST /moderation/flag` (docs/protocol.md): once per reporter and target; the reporter alone is told. */
  async flagMessage(messageId: string, reason?: string): Promise<Flag> {
    const answer = await this.http.request<{ flag: Flag }>('POST', '/moderation/flag', {
      body: { target_message_id: messageId, ...(reason !== undefined && { reason }) },
    });
    return answer.flag;
  }

  async flagUser(userId: string, reason?: string): Promise<Flag> {
    const answer = await this.http.request<{ flag: Flag }>('POST', '/moderation/flag', {
      body: { target_user_id: userId, ...(reason !== undefined && { reason }) },
    });
    return answer.flag;
  }

  /** `GET /search?payload=`: `filter_conditions` chooses the channels (required), `query` the text. */
  search(request: SearchRequest): Promise<SearchResponse> {
    return this.http.request('GET', '/search', { payload: request });
  }

  /** `GET /users?payload=`: the member picker and @mention autocomplete (`name: {$autocomplete: ...}`). */
  async queryUsers(request: QueryUsersRequest): Promise<User[]> {
    const answer = await this.http.request<{ users: User[] }>('GET', '/users', { payload: request });
    return answer.users;
  }

  /** `GET /members?payload=`: a channel's members past the 100 a channel view holds. */
  async queryMembers(request: QueryMembersRequest): Promise<Member[]> {
    const answer = await this.http.request<{ members: Member[] }>('GET', '/members', { payload: request });
    return answer.members;
  }

  /** `POST /channels/{type}/{id}` with `add_members` / `remove_members`. */
  updateMembers(
    type: string,
    id: string,
    change: { add_members?: string[]; remove_members?: string[] },
  ): Promise<{ channel: Channel; members: Member[] }> {
    return this.http.request('POST', channelPath(type, id), { body: change });
  }

  hideChannel(type: string, id: string): Promise<unknown> {
    return this.http.request('POST', `${channelPath(type, id)}/hide`, { body: {} });
  }

  showChannel(type: string, id: string): Promise<unknown> {
    return this.http.request('POST', `${channelPath(type, id)}/show`, { body: {} });
  }

  /** `PATCH /users`: the signed-in user's own fields (name, image, custom; never role). */
  async updateOwnUser(id: string, set: Record<string, unknown>): Promise<OwnUser | undefined> {
    const answer = await this.http.request<{ users: Record<string, OwnUser> }>('PATCH', '/users', {
      body: { users: [{ id, set }] },
    });
    return answer.users[id];
  }
}
