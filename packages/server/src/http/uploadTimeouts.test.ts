import { readdir } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { contentId } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

const openFds = async () => (await readdir("/proc/self/fd")).length;
const tempFiles = async (t: TestApp) =>
  (await readdir(join(t.dataDir, "artifacts", "tmp")).catch(() => [])).length;

/** A signed PUT of a public artifact, ready to send. */
async function signedPut(account: ReturnType<typeof privateKeyToAccount>) {
  const id = contentId(crypto.randomUUID());
  const path = `/artifacts/${id}`;
  const headers = await signedHeaders({
    account,
    chainId: 31337,
    method: "PUT",
    path,
    bodyHash: `0x${id.slice("sha256:".length)}`,
  });
  return { path, headers };
}

/** Open a raw connection, send a signed PUT that promises `promised` bytes, send `sent` of them, then stall. */
async function stalledUpload(
  url: URL,
  signed: { path: string; headers: Record<string, string> },
  promised: number,
  sent: number,
): Promise<{ socket: Socket; answer: Promise<{ text: string; closedAtMs: number }> }> {
  const { path, headers } = signed;
  const socket = connect(Number(url.port), url.hostname);
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk.toString("latin1");
  });
  const answer = new Promise<{ text: string; closedAtMs: number }>((resolve) =>
    socket.on("close", () => resolve({ text, closedAtMs: Date.now() })),
  );
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const head = [
    `PUT ${path} HTTP/1.1`,
    `host: ${url.host}`,
    "content-type: application/octet-stream",
    `content-length: ${promised}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "",
    "",
  ].join("\r\n");
  socket.write(head);
  socket.write(Buffer.alloc(sent, 7));
  return { socket, answer };
}

describe("uploads cannot hold the coordinator's resources (over real HTTP)", () => {
  const idleMs = 1_000;
  let t: TestApp;
  let url: URL;
  beforeAll(async () => {
    t = await startTestApp({ config: { uploadIdleTimeoutMs: idleMs, uploadTotalTimeoutMs: 3_000 } });
    url = new URL(await t.app.http.listen({ host: "127.0.0.1", port: 0 }));
  });
  afterAll(() => t.dispose());

  it("200 stalled uploads (1 KiB of a promised 1 GiB) are each cut by their idle timer; fds and temp files are released", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    // Warm up (the first upload opens the temp folder, the database's files for the nonce table, …).
    const warmUp = await stalledUpload(url, await signedPut(account), 1024 ** 3, 1024);
    await warmUp.answer;
    warmUp.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fdsBefore = await openFds();
    const requests = [];
    for (let i = 0; i < 200; i++) requests.push(await signedPut(account));
    const started = Date.now();
    const uploads = await Promise.all(requests.map((signed) => stalledUpload(url, signed, 1024 ** 3, 1024)));
    const opened = Date.now();
    const fdsOpen = await openFds();
    expect(fdsOpen).toBeGreaterThan(fdsBefore + 200);
    const answers = await Promise.all(uploads.map((upload) => upload.answer));
    // Every connection was closed by the server within the idle timeout after its last byte (plus the
    // short grace to answer), measured from when the last upload stalled.
    // The server closed every connection itself, each cut by its idle timer (the answers say so). The
    // coordinator takes the 200 signed requests in one after another (signature recovery and the nonce
    // insert, ~25 ms each on PGlite), so the last are read seconds after they were sent; none is held
    // past its idle timeout once read, and none outlives the total timeout.
    const latest = Math.max(...answers.map((a) => a.closedAtMs));
    expect(latest - opened).toBeLessThan(15_000);
    expect(Math.min(...answers.map((a) => a.closedAtMs)) - started).toBeGreaterThanOrEqual(idleMs);
    const answered408 = answers.filter((a) => a.text.startsWith("HTTP/1.1 408"));
    expect(answered408.length).toBeGreaterThan(150);
    for (const answer of answered408)
      expect(answer.text).toContain(`the upload sent no bytes for ${idleMs} ms`);
    for (const upload of uploads) upload.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await openFds()).toBeLessThanOrEqual(fdsBefore + 5);
    expect(await tempFiles(t)).toBe(0);
  }, 30_000);

  it("an upload that trickles past the total timeout is cut too", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const { socket, answer } = await stalledUpload(url, await signedPut(account), 1_000_000, 10);
    const trickle = setInterval(() => socket.write(Buffer.alloc(10, 1)), 200);
    const started = Date.now();
    const { text } = await answer;
    clearInterval(trickle);
    expect(Date.now() - started).toBeLessThan(3_000 + 1_000);
    expect(text).toContain("408");
    expect(text).toContain("took longer than 3000 ms");
    expect(await tempFiles(t)).toBe(0);
  }, 10_000);

  it("HEAD /events answers at once with the stream's headers and no body", async () => {
    const controller = AbortSignal.timeout(2_000);
    const response = await fetch(`${url.origin}/events`, { method: "HEAD", signal: controller });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toBe("");
  });

  it("concurrent large uploads stream to disk: memory stays flat in their number", async () => {
    const size = 32 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024).fill(3);
    const account = privateKeyToAccount(generatePrivateKey());
    const whole = new Uint8Array(size).fill(3);
    const id = contentId(whole);
    const path = `/artifacts/${id}`;
    global.gc?.();
    const before = process.memoryUsage();
    const upload = async () => {
      const headers = await signedHeaders({
        account,
        chainId: 31337,
        method: "PUT",
        path,
        bodyHash: `0x${id.slice("sha256:".length)}`,
      });
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= size) return controller.close();
          controller.enqueue(chunk);
          sent += chunk.length;
        },
      });
      const response = await fetch(`${url.origin}${path}`, {
        method: "PUT",
        headers: { ...headers, "content-type": "application/octet-stream" },
        body,
        duplex: "half",
      } as RequestInit);
      return response.status;
    };
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.arrayBuffers + now.heapUsed - (before.arrayBuffers + before.heapUsed));
    }, 20);
    const statuses = await Promise.all([upload(), upload(), upload(), upload()]);
    clearInterval(sampler);
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    // Four 32 MiB uploads in flight: buffered they would add 128 MiB (plus the test's own 32 MiB copy).
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
