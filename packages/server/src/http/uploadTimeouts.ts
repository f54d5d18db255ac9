import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import { HttpError } from "./errorHandler.ts";

/** How long an upload may go without a byte, and how long it may take in all. */
export interface UploadTimeouts {
  idleMs: number;
  totalMs: number;
}

function uploadTimedOut(kind: "idle" | "total", ms: number): HttpError {
  return new HttpError(
    408,
    "UPLOAD_TIMEOUT",
    kind === "idle" ? `the upload sent no bytes for ${ms} ms` : `the upload took longer than ${ms} ms`,
    {
      hint:
        kind === "idle"
          ? "keep the upload streaming; start it again (uploads are content-addressed, so retrying is safe)"
          : "upload from a faster link or ask the coordinator's operator for a longer upload timeout",
      details: { timeout: kind, ms },
    },
  );
}

/**
 * The body of a streamed upload, cut off when it stalls for `idleMs` or runs past `totalMs`: the stream
 * fails with `UPLOAD_TIMEOUT` (408), so the artifact store removes its temp file, and the client's connection
 * is closed once the answer is sent (or at once, when no answer can be written), so a stalled client holds
 * no file descriptor. Bytes are passed on as they come (backpressure intact): memory stays flat in the
 * number of uploads.
 */
export function timedUpload(request: IncomingMessage, timeouts: UploadTimeouts): Readable {
  const body = new PassThrough();
  // The consumer (the artifact store) sees the failure through its reads; a body failed before anyone
  // reads it (a refused request whose client hung up) must not become an uncaught error.
  body.on("error", () => {});
  let finished = false;
  const cut = (kind: "idle" | "total", ms: number) => {
    if (finished) return;
    finished = true;
    clearTimeout(idle);
    clearTimeout(total);
    request.unpipe(body);
    request.pause();
    const socket = request.socket;
    if (body.destroyed) {
      // The handler stopped reading long ago (a refused upload) and has answered: nothing more to say.
      socket.destroy();
      return;
    }
    body.destroy(uploadTimedOut(kind, ms));
    // The handler answers 408; the connection is closed right after, whether or not the answer was read.
    setTimeout(() => socket.destroy(), 250).unref();
  };
  let idle = setTimeout(() => cut("idle", timeouts.idleMs), timeouts.idleMs);
  const total = setTimeout(() => cut("total", timeouts.totalMs), timeouts.totalMs);
  request.on("data", () => {
    if (finished) return;
    clearTimeout(idle);
    idle = setTimeout(() => cut("idle", timeouts.idleMs), timeouts.idleMs);
  });
  const done = () => {
    finished = true;
    clearTimeout(idle);
    clearTimeout(total);
  };
  request.on("end", done);
  request.on("close", () => {
    done();
    if (!request.complete) body.destroy(new Error("the client closed the upload"));
  });
  request.pipe(body);
  return body;
}
