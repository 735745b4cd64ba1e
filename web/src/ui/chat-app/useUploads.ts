// The composer's attachments: each file uploads at once (progress shown), images get a local preview, and a
// send takes the finished ones as Stream attachments.

import { useCallback, useEffect, useRef, useState } from 'react';
import { UploadAbortedError, type Attachment, type ChannelStore } from '../../chat';
import type { PendingUpload } from '../chat';

/** What the engine takes as `image` (it judges by the bytes); everything else is a `file`. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** The engine's limit per file; refused here so nobody waits for an upload that cannot succeed. */
const MAX_BYTES = 100 * 1024 * 1024;
const MAX_PENDING = 10;

interface Held {
  upload: PendingUpload;
  controller: AbortController;
  attachment?: Attachment;
}

export function useUploads(store: ChannelStore) {
  const held = useRef(new Map<string, Held>());
  const [uploads, setUploads] = useState<readonly PendingUpload[]>([]);
  const publish = useCallback(() => setUploads([...held.current.values()].map((h) => h.upload)), []);
  const change = useCallback(
    (id: string, patch: Partial<PendingUpload>, attachment?: Attachment) => {
      const h = held.current.get(id);
      if (!h) return;
      h.upload = { ...h.upload, ...patch };
      if (attachment) h.attachment = attachment;
      publish();
    },
    [publish],
  );

  const add = useCallback(
    (files: File[]) => {
      for (const file of files) {
        if (held.current.size >= MAX_PENDING) break;
        const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
        const image = IMAGE_TYPES.has(file.type);
        const upload: PendingUpload = {
          id,
          file_name: file.name,
          mime_type: file.type || undefined,
          file_size: file.size,
          state: 'uploading',
          preview_url: image ? URL.createObjectURL(file) : undefined,
        };
        const controller = new AbortController();
        held.current.set(id, { upload, controller });
        if (file.size > MAX_BYTES) {
          change(id, { state: 'failed', error_text: 'Too large: files may be at most 100 MB.' });
          continue;
        }
        store
          .upload(image ? 'image' : 'file', file, file.name, {
            signal: controller.signal,
            onProgress: ({ loaded, total }) => change(id, { progress: total ? loaded / total : undefined }),
          })
          .then((answer) => {
            const attachment: Attachment = image
              ? { type: 'image', image_url: answer.file, thumb_url: answer.thumb_url ?? answer.file, fallback: file.name, original_width: answer.width, original_height: answer.height }
              : { type: 'file', asset_url: answer.file, title: file.name, file_size: file.size, mime_type: file.type || undefined };
            change(id, { state: 'done', progress: 1 }, attachment);
          })
          .catch((error: unknown) => {
            if (error instanceof UploadAbortedError) return;
            const words = (error as { message?: string }).message;
            change(id, { state: 'failed', error_text: words ? `Upload failed: ${words}` : 'Upload failed.' });
          });
      }
      publish();
    },
    [store, change, publish],
  );

  const remove = useCallback(
    (id: string) => {
      const h = held.current.get(id);
      if (!h) return;
      h.controller.abort();
      if (h.upload.preview_url) URL.revokeObjectURL(h.upload.preview_url);
      held.current.delete(id);
      publish();
    },
    [publish],
  );

  /** The attachments of these finished uploads; they leave the composer. */
  const take = useCallback(
    (ids: readonly string[]): Attachment[] => {
      const out: Attachment[] = [];
      for (const id of ids) {
        const h = held.current.get(id);
        if (h?.attachment) out.push(h.attachment);
        // The preview stays valid for the optimistic message; it is released with the page.
        held.current.delete(id);
      }
      publish();
      return out;
    },
    [publish],
  );

  useEffect(
    () => () => {
      for (const h of held.current.values()) {
        h.controller.abort();
        if (h.upload.preview_url) URL.revokeObjectURL(h.upload.preview_url);
      }
    },
    [],
  );

  return { uploads, add, remove, take };
}
