import {
  AmountError,
  AuthError,
  ChainError,
  ConflictError,
  FlockError,
  NotFoundError,
  NotImplementedError,
  StorageError,
  ValidationError,
} from "@flock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";
import { httpStatusOf } from "./httpStatus.ts";

describe("HTTP error mapping", () => {
  it("maps each error family to one status, with code overrides", () => {
    expect(httpStatusOf(new AmountError("AMOUNT_NEGATIVE", "x"))).toBe(400);
    expect(httpStatusOf(new AuthError("AUTH_EXPIRED", "x"))).toBe(401);
    expect(httpStatusOf(new AuthError("STAKE_REQUIRED", "x"))).toBe(403);
    expect(httpStatusOf(new NotFoundError("TASK_NOT_FOUND", "x"))).toBe(404);
    expect(httpStatusOf(new ConflictError("TASK_NOT_OPEN", "x"))).toBe(409);
    expect(httpStatusOf(new ValidationError("ARTIFACT_TOO_LARGE", "x"))).toBe(413);
    // A code raised as another kind than the table names is answered by its class.
    expect(httpStatusOf(new ValidationError("TASK_DEADLINE_PASSED", "x"))).toBe(400);
    expect(httpStatusOf(new ConflictError("TASK_DEADLINE_PASSED", "x"))).toBe(409);
    expect(httpStatusOf(new StorageError("ARTIFACT_TOO_LARGE", "x"))).toBe(500);
    expect(httpStatusOf(new NotImplementedError("near duplicates"))).toBe(501);
    expect(httpStatusOf(new ChainError("CONTRACT_REVERTED", "x"))).toBe(502);
    expect(httpStatusOf(new ChainError("CHAIN_UNREACHABLE", "x"))).toBe(503);
    expect(httpStatusOf(new FlockError("SOMETHING", "x"))).toBe(500);
  });

  describe("over HTTP", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.dispose());

    it("a missing task is a 404 with its code and hint", async () => {
      const response = await t.app.http.inject({ method: "GET", url: "/tasks/999" });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        code: "TASK_NOT_FOUND",
        kind: "NotFoundError",
        message: "task 999 does not exist",
        hint: "list tasks to find a valid id",
        details: { taskId: 999 },
      });
    });

    it("a schema violation is a 400 REQUEST_INVALID", async () => {
      const response = await t.app.http.inject({ method: "GET", url: "/tasks?status=sleeping" });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: "REQUEST_INVALID",
        hint: expect.stringContaining("openapi"),
      });
    });

    it("an unknown route is a 404 ROUTE_NOT_FOUND", async () => {
      const response = await t.app.http.inject({ method: "GET", url: "/nope" });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe("ROUTE_NOT_FOUND");
    });

    it("a body that is not JSON is a 400 BODY_NOT_JSON", async () => {
      const response = await t.app.http.inject({
        method: "POST",
        url: "/tasks",
        headers: { "content-type": "application/json" },
        payload: "{nope",
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe("BODY_NOT_JSON");
    });

    it("serves the OpenAPI document and the docs page", async () => {
      const spec = (await t.app.http.inject({ method: "GET", url: "/openapi.json" })).json();
      expect(spec.openapi).toBe("3.1.0");
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/tasks", "/tasks/{id}", "/health"]));
      // All four signing headers, required together; public routes say so.
      expect(spec.paths["/tasks"].post.security).toEqual([
        { flockAddress: [], flockTimestamp: [], flockNonce: [], flockSignature: [] },
      ]);
      expect(spec.paths["/tasks"].get.security).toEqual([]);
      expect(spec.paths["/tasks"].get.operationId).toBe("getTasks");
      expect(spec.paths["/tasks/{id}/submissions"].post.operationId).toBe("postTasksByIdSubmissions");
      const docs = await t.app.http.inject({ method: "GET", url: "/docs/" });
      expect(docs.statusCode).toBe(200);
      expect(docs.body).toContain("swagger-ui");
      const bundle = await t.app.http.inject({ method: "GET", url: "/docs/static/swagger-ui-bundle.js" });
      expect(bundle.statusCode).toBe(200);
    });
  });
});
