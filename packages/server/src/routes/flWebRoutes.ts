import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { NotFoundError } from "@flock/core";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";

/** Content types of the files a browser client page is made of. */
const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  wasm: "application/wasm",
  json: "application/json; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/**
 * The browser FL client (SPEC §2.2): `GET /fl/join/` serves the page and `GET /fl/join/<file>` its script and
 * ONNX Runtime Web's WASM files, from the folder `deps.flWeb` gives (the CLI passes @flock/flweb's build;
 * this package never imports it). Only plain file names in that folder are served. A coordinator started
 * without it answers 404 FL_WEB_NOT_SERVED.
 */
export function registerFlWebRoutes(app: FastifyInstance, ctx: AppContext): void {
  const notServed = () =>
    new NotFoundError("FL_WEB_NOT_SERVED", "this coordinator does not serve the browser FL client", {
      hint: "start the coordinator with `flock up` (it serves the page at /fl/join/), or join with `flock fl join`",
    });
  const schema = { hide: true } as const;
  app.get("/fl/join", { schema }, async (_request, reply) => reply.redirect("/fl/join/"));
  app.get<{ Params: { "*": string } }>("/fl/join/*", { schema }, async (request, reply) => {
    if (ctx.flWeb === undefined) throw notServed();
    const name = request.params["*"] === "" ? "index.html" : request.params["*"];
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || type === undefined) {
      throw new NotFoundError("FL_WEB_FILE_NOT_FOUND", `the browser FL client has no file ${name}`, {
        hint: "open /fl/join/ for the page",
      });
    }
    const directory = await ctx.flWeb.directory();
    let body: Buffer;
    try {
      body = await readFile(join(directory, name));
    } catch (cause) {
      throw new NotFoundError("FL_WEB_FILE_NOT_FOUND", `the browser FL client has no file ${name}`, {
        hint: "open /fl/join/ for the page",
        cause,
      });
    }
    return reply
      .header("content-type", type)
      .header("cache-control", name === "index.html" ? "no-cache" : "public, max-age=300")
      .header("x-content-type-options", "nosniff")
      .send(body);
  });
}
