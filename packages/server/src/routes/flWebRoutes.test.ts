import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

describe("GET /fl/join/*: the browser FL client's files", () => {
  let dir = "";
  let served: TestApp;
  let bare: TestApp;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "flock-flweb-route-"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>join</title>");
    await writeFile(join(dir, "app.js"), "console.log(1)");
    await writeFile(join(dir, "runtime.wasm"), new Uint8Array([0, 97, 115, 109]));
    await writeFile(join(dir, "notes.txt"), "not a page file");
    [served, bare] = await Promise.all([startTestApp({ flWebDir: dir }), startTestApp()]);
  });
  afterAll(async () => {
    await Promise.all([served?.dispose(), bare?.dispose()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the page, its script and WASM with their content types", async () => {
    const get = (url: string) => served.app.http.inject({ method: "GET", url });
    const page = await get("/fl/join/");
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("<title>join</title>");
    expect((await get("/fl/join/app.js")).headers["content-type"]).toBe("text/javascript; charset=utf-8");
    const wasm = await get("/fl/join/runtime.wasm");
    expect(wasm.headers["content-type"]).toBe("application/wasm");
    expect(wasm.rawPayload).toEqual(Buffer.from([0, 97, 115, 109]));
    const redirect = await get("/fl/join");
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe("/fl/join/");
  });

  it("refuses anything but the folder's plain page files with FL_WEB_FILE_NOT_FOUND", async () => {
    for (const url of [
      "/fl/join/notes.txt",
      "/fl/join/missing.js",
      "/fl/join/.hidden.js",
      "/fl/join/..%2Fpackage.json",
      "/fl/join/sub/app.js",
      "/fl/join/%2Fetc%2Fpasswd.js",
    ]) {
      const response = await served.app.http.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ code: "FL_WEB_FILE_NOT_FOUND" });
    }
  });

  it("a coordinator started without the client answers FL_WEB_NOT_SERVED with a hint", async () => {
    const response = await bare.app.http.inject({ method: "GET", url: "/fl/join/" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "FL_WEB_NOT_SERVED" });
    expect(response.json().hint).toContain("flock up");
  });
});
