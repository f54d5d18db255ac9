import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
  };
}

describe("createLogger", () => {
  it("writes bigint amounts as decimal strings", () => {
    const { stream, lines } = capture();
    const log = createLogger("test", { level: "info" }, stream);
    log.info({ amount: 12n * 10n ** 18n, nested: { list: [1n, 2] } }, "paid");
    const [line] = lines();
    expect(line).toMatchObject({ amount: "12000000000000000000", nested: { list: ["1", 2] }, msg: "paid" });
  });

  it("logs objects with cycles and class instances without throwing", () => {
    const { stream, lines } = capture();
    const log = createLogger("test", { level: "info" }, stream);
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(() => log.info({ cyclic, error: new Error("boom"), when: new Date(0) }, "odd")).not.toThrow();
    expect(lines()[0]).toMatchObject({ msg: "odd", cyclic: { n: "1" } });
  });
});
