import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CompletionEngine } from "../completionEngine.ts";
import { parseChatCompletionRequest, parseCompletionRequest } from "../completionRequest.ts";
import { openAiErrorOf } from "../openAiError.ts";
import { completeOnce, completeStreaming, modelList } from "../openAiResponses.ts";

/** A server on 127.0.0.1 for tests: its URL (`…/v1` is the API root), requests seen, and how to stop it. */
export interface TestHttpServer {
  url: string;
  /** Requests received so far. */
  hits: number;
  close(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, server: TestHttpServer) => void,
): Promise<TestHttpServer> {
  let server: Server | undefined;
  const handle: TestHttpServer = {
    url: "",
    hits: 0,
    close: () =>
      new Promise((resolve) => {
        server!.closeAllConnections();
        server!.close(() => resolve());
      }),
  };
  server = createServer((req, res) => {
    handle.hits++;
    handler(req, res, handle);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  handle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return handle;
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/**
 * A minimal OpenAI-compatible serving instance over a `CompletionEngine` (`GET /v1/models`,
 * `POST /v1/chat/completions`, `POST /v1/completions`, streamed or not), as another Flock would answer; with
 * `usage: false` it never sends a usage chunk, like an upstream that ignores `stream_options`.
 */
export function serveOpenAi(
  engine: CompletionEngine,
  options: { usage?: boolean } = {},
): Promise<TestHttpServer> {
  return listen(async (req, res) => {
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    try {
      if (req.method === "GET" && req.url === "/v1/models")
        return send(200, modelList(await engine.listModels()));
      const parse =
        req.url === "/v1/chat/completions"
          ? parseChatCompletionRequest
          : req.url === "/v1/completions"
            ? parseCompletionRequest
            : undefined;
      if (req.method !== "POST" || parse === undefined)
        return send(404, { error: { message: "no such route", type: "invalid_request_error" } });
      const request = parse(await body(req));
      if (options.usage === false) request.includeUsage = false;
      const prepared = await engine.prepare(request);
      const controller = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      if (!request.stream) return send(200, await completeOnce(prepared, request, controller.signal));
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      await completeStreaming(
        prepared,
        request,
        (event) =>
          new Promise<void>((resolve) => {
            if (res.destroyed || res.write(event)) resolve();
            else res.once("drain", () => resolve());
          }),
        controller.signal,
      );
      res.end();
    } catch (error) {
      const { status, body: payload } = openAiErrorOf(error);
      if (res.headersSent) res.end();
      else send(status, payload);
    }
  });
}

/** A server that answers every request with `status` and an error body. */
export function failingServer(status: number): Promise<TestHttpServer> {
  return listen((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: `failing on purpose (${status})`, type: "server_error" } }));
  });
}

/** A server that accepts requests and never answers. */
export function silentServer(): Promise<TestHttpServer> {
  return listen(() => undefined);
}
