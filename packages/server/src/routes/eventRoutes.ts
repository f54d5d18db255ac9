import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { errorText } from "../http/requestLog.ts";
import { errorResponses } from "../http/schemas.ts";

/**
 * Live events over Server-Sent Events: `GET /events?after=<id>` replays the store's event log after `id`
 * (or after `Last-Event-ID` on a reconnect) and then streams new events as they are appended. Each
 * message carries the event id, so a client that drops reconnects without losing or repeating any.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  options: { pollMs: number },
): void {
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of open) end();
  });

  // A HEAD request gets the stream's headers at once: the stream itself never ends, so the GET handler
  // must not answer it.
  app.head("/events", { schema: { hide: true } }, async (_request, reply) =>
    reply.header("content-type", "text/event-stream").header("cache-control", "no-cache").send(),
  );
  app.get<{ Querystring: { after?: number } }>(
    "/events",
    {
      exposeHeadRoute: false,
      schema: {
        summary: "Live events (text/event-stream), from the event after `after`",
        tags: ["events"],
        querystring: {
          type: "object",
          additionalProperties: false,
          // Event ids are int8 (bigint identity): bounded by what a JS number holds exactly.
          properties: { after: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
        },
        response: {
          200: {
            description: "Server-Sent Events: `id`, `event` (the event type) and `data` (its JSON payload)",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const lastEventId = Number(request.headers["last-event-id"]);
      let after = Number.isSafeInteger(lastEventId) ? lastEventId : (request.query.after ?? 0);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      raw.write(": flock events\n\n");
      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      const end = () => {
        if (closed) return;
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        open.delete(end);
        raw.end();
      };
      open.add(end);
      raw.on("close", end);
      const pump = async () => {
        try {
          const events = await ctx.repos.events.listAfter(after, { limit: 100 });
          for (const event of events) {
            if (closed) return;
            raw.write(
              `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.payload, createdAt: event.createdAt.toISOString() })}\n\n`,
            );
            after = event.id;
          }
          if (!closed) timer = setTimeout(pump, events.length === 100 ? 0 : options.pollMs);
        } catch (error) {
          ctx.logger.warn({ error: errorText(error) }, "event stream failed");
          end();
        }
      };
      await pump();
    },
  );
}
