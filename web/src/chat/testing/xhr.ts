// A scripted XMLHttpRequest for upload tests.

import type { XhrFactory, XhrLike } from '../upload';

export class FakeXhr implements XhrLike {
  method = '';
  url = '';
  readonly headers: Record<string, string> = {};
  body: FormData | undefined;
  status = 0;
  responseText = '';
  aborted = false;
  upload: XhrLike['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  send(body: FormData): void {
    this.body = body;
  }

  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }

  progress(loaded: number, total: number): void {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }

  respond(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }

  fail(): void {
    this.onerror?.();
  }
}

export function xhrRecorder(): { factory: XhrFactory; made: FakeXhr[] } {
  const made: FakeXhr[] = [];
  return {
    made,
    factory: () => {
      const xhr = new FakeXhr();
      made.push(xhr);
      return xhr;
    },
  };
}
