import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";
import { operationIdOf } from "./openApi.ts";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../../../..");

describe("the OpenAPI document generated clients use", () => {
  let t: TestApp;
  let url: string;
  let document: Record<string, unknown>;
  beforeAll(async () => {
    t = await startTestApp();
    url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    document = (await (await fetch(`${url}/openapi.json`)).json()) as Record<string, unknown>;
  });
  afterAll(() => t.dispose());

  it("operation ids are camelCase from method and path", () => {
    expect(operationIdOf("GET", "/tasks/:id/submissions")).toBe("getTasksByIdSubmissions");
    expect(operationIdOf("PUT", "/artifacts/:contentId")).toBe("putArtifactsByContentId");
    expect(operationIdOf("GET", "/epochs/:n/proofs/:account")).toBe("getEpochsByNProofsByAccount");
    expect(operationIdOf("POST", "/assignments/:id/score")).toBe("postAssignmentsByIdScore");
    expect(operationIdOf("PUT", "/tasks/:id/validation-set")).toBe("putTasksByIdValidationSet");
  });

  it("names the server it was fetched from, and every operation has an id, a success answer and its security", () => {
    expect(document.servers).toEqual([{ url }]);
    const ids = new Set<string>();
    const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const id = operation.operationId as string;
        expect({ path, method, id }).toEqual({ path, method, id: expect.stringMatching(/^[a-z][A-Za-z]+$/) });
        expect(ids.has(id)).toBe(false);
        ids.add(id);
        const statuses = Object.keys(operation.responses as object);
        expect({ path, method, success: statuses.some((s) => s.startsWith("2")) }).toEqual({
          path,
          method,
          success: true,
        });
        expect(Array.isArray(operation.security)).toBe(true);
      }
    }
    expect(paths["/events"]!.get!.responses).toMatchObject({
      200: { content: { "text/event-stream": expect.any(Object) } },
    });
  });

  it("names core's wire types in components.schemas and every route refers to them, never to a copy", () => {
    const components = document.components as { schemas: Record<string, Record<string, unknown>> };
    const names = Object.keys(components.schemas);
    for (const name of [
      "Task",
      "Submission",
      "Assignment",
      "Score",
      "Epoch",
      "EpochProofs",
      "Draw",
      "ErrorBody",
    ]) {
      expect(names).toContain(name);
    }
    expect(names.filter((name) => name.startsWith("def-"))).toEqual([]);
    expect(components.schemas.Task!.properties).toEqual(
      expect.objectContaining({ rewardWeight: expect.any(Object) }),
    );
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const json = (status: unknown) =>
      (status as { content: { "application/json": { schema: unknown } } }).content["application/json"].schema;
    expect(json(paths["/tasks/{id}"]!.get!.responses[200])).toEqual({ $ref: "#/components/schemas/Task" });
    expect(json(paths["/submissions/{id}"]!.get!.responses["4XX"])).toEqual({
      $ref: "#/components/schemas/ErrorBody",
    });
    expect(json(paths["/epochs/{n}/proofs/{account}"]!.get!.responses[200])).toEqual({
      $ref: "#/components/schemas/EpochProofs",
    });
    // The nested Claim is referenced by name inside EpochProofs, not inlined.
    expect(JSON.stringify(components.schemas.EpochProofs)).toContain('"#/components/schemas/Claim"');
  });

  it("lints with zero errors and zero warnings under Redocly's recommended ruleset", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: join(tmpdir(), "flock-openapi.json"),
      config,
    });
    const errors = problems
      .filter((problem) => problem.severity === "error")
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? "?"}`);
    expect(errors).toEqual([]);
    const warnings = problems
      .filter((problem) => problem.severity === "warn")
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? "?"}`);
    expect(warnings).toEqual([]);
  });

  it("generates types with openapi-typescript that a small client compiles against", async () => {
    const folder = await mkdtemp(join(tmpdir(), "flock-openapi-client-"));
    try {
      const ast = await openapiTS(document as never);
      await writeFile(join(folder, "flock.d.ts"), astToString(ast));
      await writeFile(
        join(folder, "client.ts"),
        [
          'import type { operations, paths } from "./flock.d.ts";',
          'type Task = operations["getTasksById"]["responses"][200]["content"]["application/json"];',
          'type Health = paths["/health"]["get"]["responses"][200]["content"]["application/json"];',
          "export async function taskTitle(base: string, id: number): Promise<string> {",
          "  const task = (await (await fetch(base + '/tasks/' + id)).json()) as Task;",
          "  return task.title;",
          "}",
          "export async function verifier(base: string): Promise<string | undefined> {",
          "  const health = (await (await fetch(base + '/health')).json()) as Health;",
          "  return health.requestVerifier;",
          "}",
          "// A field the document does not declare is a compile error.",
          "// @ts-expect-error",
          "export const wrong = (t: Task) => t.notAField;",
          "",
        ].join("\n"),
      );
      await writeFile(
        join(folder, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "es2022",
            module: "nodenext",
            moduleResolution: "nodenext",
            strict: true,
            noEmit: true,
            allowImportingTsExtensions: true,
            skipLibCheck: false,
            lib: ["es2022", "dom"],
            types: [],
          },
          files: ["client.ts"],
        }),
      );
      const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
      const result = await run(process.execPath, [tsc, "-p", join(folder, "tsconfig.json")]).then(
        () => ({ ok: true, output: "" }),
        (error: { stdout?: string; stderr?: string }) => ({
          ok: false,
          output: `${error.stdout}${error.stderr}`,
        }),
      );
      expect(result).toEqual({ ok: true, output: "" });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
