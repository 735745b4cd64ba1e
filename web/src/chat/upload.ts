// Uploads (`POST /channels/{type}/{id}/file` and `/image`, multipart with a `file` part). fetch cannot report
// upload progress, so this uses XMLHttpRequest, injected as a factory for tests. Code 40 is retried once with a
// fresh token, as for every other request.

import { NetworkError, StreamError } from './errors';
import { CLIENT_HEADER, segment, type Http } from './http';
import type { TokenManager } from './token';
import type { UploadResponse } from './types';

/** The part of XMLHttpRequest the uploader uses. */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: FormData): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  upload: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export type XhrFactory = () => XhrLike;

export interface UploadProgress {
  loaded: number;
  /** Undefined when the browser cannot tell the total. */
  total: number | undefined;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export type UploadKind = 'file' | 'image';

export class UploadAbortedError extends Error {
  override readonly name = 'UploadAbortedError';
  constructor() {
    super('the upload was cancelled');
  }
}

export class Uploader {
  constructor(
    private readonly http: Http,
    private readonly tokens: TokenManager,
    private readonly createXhr: XhrFactory,
  ) {}

  async upload(
    channelType: string,
    channelId: string,
    kind: UploadKind,
    file: Blob,
    fileName: string,
    options: UploadOptions = {},
  ): Promise<UploadResponse> {
    const path = `/channels/${segment(channelType)}/${segment(channelId)}/${kind}`;
    const url = await this.http.url(path);
    const token = await this.tokens.token();
    try {
      return await this.once(url, token, file, fileName, options);
    } catch (error) {
      if (!(error instanceof StreamError) || !error.isTokenExpired) throw error;
      return await this.once(url, await this.tokens.refresh(token), file, fileName, options);
    }
  }

  private once(url: string, token: string, file: Blob, fileName: string, options: UploadOptions): Promise<UploadResponse> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new UploadAbortedError());
        return;
      }
      const xhr = this.createXhr();
      const form = new FormData();
      form.append('file', file, fileName);
      xhr.open('POST', url);
      xhr.setRequestHeader('Authorization', token);
      xhr.setRequestHeader('stream-auth-type', 'jwt');
      xhr.setRequestHeader('X-Stream-Client', CLIENT_HEADER);
      xhr.upload.onprogress = (event) => {
        options.onProgress?.({ loaded: event.loaded, total: event.lengthComputable ? event.total : undefined });
      };
      const onAbort = () => xhr.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => options.signal?.removeEventListener('abort', onAbort);
      xhr.onload = () => {
        settle();
        const parsed = parseJson(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300 && parsed !== undefined) resolve(parsed as UploadResponse);
        else reject(StreamError.fromBody(parsed, xhr.status));
      };
      xhr.onerror = () => {
        settle();
        reject(new NetworkError(`upload of ${fileName} failed`));
      };
      xhr.onabort = () => {
        settle();
        reject(new UploadAbortedError());
      };
      xhr.send(form);
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const browserXhr: XhrFactory = () => new XMLHttpRequest() as unknown as XhrLike;
