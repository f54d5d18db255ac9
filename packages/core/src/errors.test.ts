import { describe, expect, it } from "vitest";
import {
  AmountError,
  ConflictError,
  ERROR_KINDS,
  errorKindOf,
  errorOfKind,
  FlockError,
  isErrorKind,
  NotImplementedError,
  ValidationError,
} from "./errors.ts";

describe("error kinds: an error body names its class so a client rebuilds the same error", () => {
  it("every kind round-trips: class, code, message, hint and details", () => {
    for (const kind of Object.keys(ERROR_KINDS)) {
      expect(isErrorKind(kind)).toBe(true);
      const rebuilt = errorOfKind(kind as keyof typeof ERROR_KINDS, "SOME_CODE", "what was wrong", {
        hint: "what to do",
        details: { n: 1 },
      });
      expect(rebuilt).toBeInstanceOf(ERROR_KINDS[kind as keyof typeof ERROR_KINDS]);
      expect(errorKindOf(rebuilt)).toBe(kind);
      expect(rebuilt.message).toBe("what was wrong");
      expect(rebuilt.hint).toBe("what to do");
      expect(rebuilt.details).toEqual({ n: 1 });
      if (kind !== "NotImplementedError") expect(rebuilt.code).toBe("SOME_CODE");
    }
  });

  it("a subclass outside the list reports the nearest listed kind; unknown names are not kinds", () => {
    class HttpError extends ValidationError {}
    expect(errorKindOf(new HttpError("X", "y"))).toBe("ValidationError");
    expect(errorKindOf(new AmountError("X", "y"))).toBe("AmountError");
    expect(errorKindOf(new ConflictError("X", "y"))).toBe("ConflictError");
    expect(errorKindOf(new FlockError("X", "y"))).toBe("FlockError");
    expect(errorKindOf(new NotImplementedError("z"))).toBe("NotImplementedError");
    for (const name of ["Error", "toString", "__proto__", "constructor", "", 3])
      expect(isErrorKind(name)).toBe(false);
  });
});
