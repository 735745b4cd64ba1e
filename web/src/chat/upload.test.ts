import { describe, expect, it } from 'vitest';
import { apiError } from './testing/backend';
import { flush } from './testing/clock';
import { harness } from './testing/harness';
import { xhrRecorder } from './testing/xhr';
import type { UploadProgress } from './upload';

describe('uploads', () => {
  it('posts the file as multipart to /channels/{type}/{id}/image with auth, reporting progress', async () => {
    const xhr = xhrRecorder();
    const h = harness({ createXhr: xhr.factory });
    const store = h.client.channel('messaging', 'general');
    const progress: UploadProgress[] = [];
    const uploading = store.upload('image', new Blob(['png bytes'], { type: 'image/png' }), 'cat.png', {
      onProgress: (step) => progress.push(step),
    });
    await flush();
    const request = xhr.made[0];
    if (!request) throw new Error('no upload request');
    expect(request.method).toBe('POST');
    const url = new URL(request.url);
    expect(url.pathname).toBe('/channels/messaging/general/image');
    expect(url.searchParams.get('api_key')).toBe('key123');
    expect(request.headers).toMatchObject({ Authorization: 'token-1', 'stream-auth-type': 'jwt' });
    const file = request.body?.get('file');
    expect(file).toBeInstanceOf(Blob);
    expect((file as File).name).toBe('cat.png');
    request.progress(5, 10);
    request.progress(10, 10);
    request.respond(201, { file: 'https://chat.example.com/files/1/t/cat.png', thumb_url: 'https://chat.example.com/thumbs/1/t/cat.png', width: 640, height: 480 });
    await expect(uploading).resolves.toEqual({
      file: 'https://chat.example.com/files/1/t/cat.png',
      thumb_url: 'https://chat.example.com/thumbs/1/t/cat.png',
      width: 640,
      height: 480,
    });
    expect(progress).toEqual([
      { loaded: 5, total: 10 },
      { loaded: 10, total: 10 },
    ]);
  });

  it('retries once with a fresh token on code 40', async () => {
    const xhr = xhrRecorder();
    const h = harness({ createXhr: xhr.factory });
    const uploading = h.client.channel('messaging', 'general').upload('file', new Blob(['x']), 'a.txt');
    await flush();
    xhr.made[0]?.respond(401, apiError(40, 'token expired', 401));
    await flush();
    expect(xhr.made[1]?.headers.Authorization).toBe('token-2');
    xhr.made[1]?.respond(201, { file: 'https://x/files/a.txt' });
    await expect(uploading).resolves.toMatchObject({ file: 'https://x/files/a.txt' });
  });

  it('surfaces server refusals, network failures and cancellation as typed errors', async () => {
    const xhr = xhrRecorder();
    const h = harness({ createXhr: xhr.factory });
    const store = h.client.channel('messaging', 'general');
    const tooBig = store.upload('file', new Blob(['x']), 'big.bin');
    await flush();
    xhr.made[0]?.respond(413, apiError(22, 'payload too big', 413));
    await expect(tooBig).rejects.toMatchObject({ name: 'StreamError', code: 22, statusCode: 413 });

    const offline = store.upload('file', new Blob(['x']), 'a.bin');
    await flush();
    xhr.made[1]?.fail();
    await expect(offline).rejects.toMatchObject({ name: 'NetworkError' });

    const controller = new AbortController();
    const cancelled = store.upload('file', new Blob(['x']), 'b.bin', { signal: controller.signal });
    await flush();
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ name: 'UploadAbortedError' });
    expect(xhr.made[2]?.aborted).toBe(true);
  });
});
