// Rill's own client of the Stream Chat protocol, for the web app. Framework-free: the React binding consumes
// these stores with `useSyncExternalStore(store.subscribe, store.getSnapshot)`. See README.md.

export { ChatClient, createChatClient } from './client';
export type { ChatClientOptions, ChannelListQuery, SyncState } from './client';
export { ChannelStore } from './channel';
export type { ChannelSnapshot, ThreadState, TypingUser, SendInput } from './channel';
export type { LocalMessage, MessageStatus } from './messages';
export type { ConnectionState, SocketLike, SocketFactory } from './connection';
export { Emitter } from './events';
export type * from './events';
export { StreamError, NetworkError, ErrorCodes } from './errors';
export type { StreamErrorBody } from './errors';
export { hubSessionProvider, HubSessionError } from './token';
export type { TokenProvider } from './token';
export { UploadAbortedError } from './upload';
export type { UploadKind, UploadOptions, UploadProgress, XhrLike, XhrFactory } from './upload';
export { ChatApi } from './api';
export type { ReadableStore } from './store';
export type { Clock } from './clock';
export { backoffDelay, backoffCeiling } from './backoff';
export type { BackoffOptions } from './backoff';
export type * from './types';
