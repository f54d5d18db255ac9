import { ChainError, ConflictError, FlockError, ProtocolError, ValidationError } from "@flock/core";
import { describe, expect, it } from "vitest";
import { errorFromResponse, isCoordinatorError } from "./errors.ts";

describe("errorFromResponse: the coordinator's error comes back as the same kind of FlockError", () => {
  it("keeps the kind the body names, whatever the status", () => {
    const chain = errorFromResponse(
      502,
      { code: "NONCE_TOO_LOW", kind: "ChainError", message: "m", hint: "h" },
      "x",
    );
    expect(chain).toBeInstanceOf(ChainError);
    expect(chain).toMatchObject({
      code: "NONCE_TOO_LOW",
      message: "m",
      hint: "h",
      details: { httpStatus: 502 },
    });
    expect(errorFromResponse(422, { code: "C", kind: "ProtocolError", message: "m" }, "x")).toBeInstanceOf(
      ProtocolError,
    );
    expect(errorFromResponse(409, { code: "C", kind: "ConflictError", message: "m" }, "x")).toBeInstanceOf(
      ConflictError,
    );
  });

  it("falls back to the status for a body without a known kind", () => {
    expect(errorFromResponse(400, { code: "C", kind: "toString", message: "m" }, "x")).toBeInstanceOf(
      ValidationError,
    );
    const plain = errorFromResponse(500, "not json", "GET /x");
    expect(plain).toBeInstanceOf(FlockError);
    expect(plain).toMatchObject({ code: "HTTP_500", message: "GET /x failed with HTTP 500" });
    expect(isCoordinatorError(plain)).toBe(true);
  });

  it("types the code as one of core's ERROR_CODES; a body without a kind gets its code's kind", () => {
    const conflict = errorFromResponse(409, { code: "SUBMISSION_EXISTS", message: "m" }, "x");
    expect(conflict).toBeInstanceOf(ConflictError);
    const code: "SUBMISSION_EXISTS" | string = conflict.code;
    expect(code).toBe("SUBMISSION_EXISTS");
    // A code this build does not know (a newer coordinator): kept in details, the code says the status.
    const newer = errorFromResponse(409, { code: "SOMETHING_NEW", kind: "ConflictError", message: "m" }, "x");
    expect(newer).toBeInstanceOf(ConflictError);
    expect(newer).toMatchObject({ code: "HTTP_409", details: { code: "SOMETHING_NEW", httpStatus: 409 } });
    expect(isCoordinatorError(new FlockError("SUBMISSION_EXISTS", "thrown locally"))).toBe(false);
  });
});
