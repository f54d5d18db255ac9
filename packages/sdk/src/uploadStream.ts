/** Bytes sent or received so far, for progress displays. */
export interface TransferProgress {
  bytes: number;
  totalBytes: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * In-memory bytes as a stream of chunks, so an upload's progress follows what the HTTP client actually
 * pulls (the signature covers the content id, not the stream).
 */
export function uploadStream(
  bytes: Uint8Array,
  onProgress?: (progress: TransferProgress) => void,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes.length) {
        controller.close();
        return;
      }
      const part = bytes.subarray(sent, sent + chunkBytes);
      sent += part.length;
      controller.enqueue(part);
      onProgress?.({ bytes: sent, totalBytes: bytes.length });
    },
  });
}
