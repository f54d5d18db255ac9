import { contentId } from "@flock/core";
import fc from "fast-check";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";
import { badCharacter, boundedSchema, INT4_MAX, isValidDateTime } from "./boundedInput.ts";

describe("input rules (pure)", () => {
  it("every instant a Date can print is a valid date-time; leap seconds and impossible days are not", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("0001-01-01T00:00:00Z"),
          max: new Date("9999-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        (date) => isValidDateTime(date.toISOString()),
      ),
    );
    for (const bad of [
      "2030-12-31T23:59:60Z",
      "2030-02-30T00:00:00Z",
      "2029-02-29T00:00:00Z",
      "2030-13-01T00:00:00Z",
      "2030-01-01T24:00:00Z",
      "2030-01-01T00:00:00+24:00",
      "0000-01-01T00:00:00Z",
      "2030-01-01",
      "+275760-09-13T00:00:00Z",
    ]) {
      expect({ bad, valid: isValidDateTime(bad) }).toEqual({ bad, valid: false });
    }
    expect(isValidDateTime("2028-02-29T12:00:00.123+05:30")).toBe(true);
  });

  it("well-formed text passes; a NUL or an unpaired surrogate anywhere is found", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        (text) => badCharacter(text.replaceAll("\0", "")) === null,
      ),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0xd800, max: 0xdfff }), (a, b, unit) => {
        const lone = `${a.replaceAll(/[\ud800-\udfff]/g, "")}${String.fromCharCode(unit)}x${b.replaceAll(/[\ud800-\udfff]/g, "")}`;
        return badCharacter(lone) === "lone surrogate" || lone.includes("\0");
      }),
    );
    expect(badCharacter("a\0b")).toBe("NUL");
    expect(badCharacter("😀")).toBeNull();
  });

  it("bounds integers without an explicit maximum to int4 and keeps explicit ones", () => {
    expect(
      boundedSchema({
        type: "object",
        properties: {
          id: { type: "integer", minimum: 1 },
          big: { type: "integer", maximum: Number.MAX_SAFE_INTEGER },
          ratio: { type: "number" },
          kind: { type: "string", enum: ["integer"] },
        },
      }),
    ).toEqual({
      type: "object",
      properties: {
        id: { type: "integer", minimum: 1, maximum: INT4_MAX },
        big: { type: "integer", maximum: Number.MAX_SAFE_INTEGER, minimum: -2_147_483_648 },
        ratio: { type: "number", maximum: Number.MAX_VALUE, minimum: -Number.MAX_VALUE },
        kind: { type: "string", enum: ["integer"] },
      },
    });
  });
});

describe("bad input never reaches the database (regressions of the fuzzer's 500s, over real HTTP)", () => {
  const creator = privateKeyToAccount(generatePrivateKey());
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({ dataDir: await freshDataDir() });
    await t.publish("base model");
    await t.publish("train");
    url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(() => t.dispose());

  function task(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      title: "t",
      description: "d",
      type: "lm-lora",
      baseModel: contentId("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId("train"),
      validationCommitment: contentId(`hidden ${crypto.randomUUID()}`),
      submissionDeadline: new Date(Date.now() + 3_600_000).toISOString(),
      endTime: new Date(Date.now() + 7_200_000).toISOString(),
      rewardWeight: "1",
      minStake: "0",
      minLockDays: 0,
      ...overrides,
    };
  }

  /** A signed POST /tasks with the body exactly as given (raw text, so JSON can carry what JS would fix). */
  async function createTask(rawBody: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers = await signedHeaders({
      account: creator,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body: rawBody,
    });
    const response = await fetch(`${url}/tasks`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: rawBody,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("ids beyond int4, Infinity and NaN in paths and queries are a 400 naming the field", async () => {
    const cases: [string, string][] = [
      ["/tasks/2147483648", "id"],
      ["/tasks/99999999999999999999", "id"],
      ["/tasks/Infinity", "id"],
      ["/tasks/NaN", "id"],
      ["/submissions/2147483648", "id"],
      ["/epochs/2147483648", "n"],
      ["/tasks?after=2147483648", "after"],
      ["/epochs?taskId=4294967296", "taskId"],
      ["/events?after=9007199254740993", "after"],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get(path);
      expect({ path, status, code: body.code }).toEqual({ path, status: 400, code: "REQUEST_INVALID" });
      expect(String(body.message)).toContain(field);
    }
    expect((await get("/tasks/2147483647")).status).toBe(404);
  });

  it("maxTrainableParams past 2^53 − 1 is refused, and GET /tasks still answers afterwards", async () => {
    const before = (await get("/tasks")).body.items as unknown[];
    const raw = JSON.stringify(task()).replace(
      '"maxTrainableParams":1000',
      '"maxTrainableParams":9007199254740993',
    );
    const refused = await createTask(raw);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("REQUEST_INVALID");
    expect(String(refused.body.message)).toContain("maxTrainableParams");
    const overflow = await createTask(
      JSON.stringify(task()).replace('"contextLength":64', '"contextLength":1e400'),
    );
    expect(overflow.status).toBe(400);
    expect(String(overflow.body.message)).toContain("contextLength");
    // The largest exact integer is stored and read back as itself.
    const largest = await createTask(JSON.stringify(task({ maxTrainableParams: Number.MAX_SAFE_INTEGER })));
    expect(largest.status).toBe(201);
    const listed = await get("/tasks");
    expect(listed.status).toBe(200);
    expect((listed.body.items as unknown[]).length).toBe(before.length + 1);
    expect((await get(`/tasks/${largest.body.id}`)).body.maxTrainableParams).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("NUL bytes and lone surrogates in body strings, keys and queries are a 400 naming the field", async () => {
    const nul = await createTask(JSON.stringify(task({ title: "a\u0000b" })));
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({
      code: "REQUEST_INVALID",
      details: { field: "body.title", problem: "NUL" },
    });
    // JSON.stringify escapes a lone surrogate as \ud800: exactly what a hostile client sends.
    const lone = await createTask(JSON.stringify(task({ description: "x\ud800y" })));
    expect(lone.status).toBe(400);
    expect(lone.body).toMatchObject({ details: { field: "body.description", problem: "lone surrogate" } });
    const badKey = await createTask(JSON.stringify({ ...task(), "\udc00": 1 }));
    expect(badKey.status).toBe(400);
    const query = await get("/tasks?creator=%00");
    expect(query.status).toBe(400);
    expect(query.body.code).toBe("REQUEST_INVALID");
    expect((await get("/tasks")).status).toBe(200);
  });

  it("a leap second or an impossible date is a 400, never an Invalid Date in the database", async () => {
    for (const submissionDeadline of [
      "2030-12-31T23:59:60Z",
      "2030-02-30T10:00:00Z",
      "2030-12-31T25:00:00Z",
    ]) {
      const refused = await createTask(JSON.stringify(task({ submissionDeadline })));
      expect({ submissionDeadline, status: refused.status }).toEqual({ submissionDeadline, status: 400 });
      expect(String(refused.body.message)).toContain("submissionDeadline");
    }
    expect((await get("/tasks")).status).toBe(200);
  });
});
