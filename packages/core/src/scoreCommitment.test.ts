import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { opensCommitment, readSalt, scoreCommitment } from "./scoreCommitment.ts";

const SALT = `0x${"ab".repeat(16)}`;

describe("score commitments (SPEC §2.1 commit-reveal)", () => {
  it("a known answer, so the definition cannot drift between the nodes, the SDK and the coordinator", () => {
    // sha256("flock-score-commitment:1:7:1250000000000000000:0xabab…ab")
    expect(scoreCommitment({ assignmentId: 7, score: 1_250_000_000_000_000_000n, salt: SALT })).toBe(
      "0xdcf681b43f53cf7e9696dd0442e0f46ad4234dc91ebd83c7927069f0e40922b6",
    );
  });

  it("only the committed (assignment, score, salt) opens a commitment", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.bigInt({ min: -(2n ** 255n) + 1n, max: 2n ** 255n - 1n }),
        fc.bigInt({ min: 1n, max: 10n ** 18n }),
        fc.uint8Array({ minLength: 16, maxLength: 32 }),
        (assignmentId, score, delta, saltBytes) => {
          const salt = `0x${Buffer.from(saltBytes).toString("hex")}`;
          const commitment = scoreCommitment({ assignmentId, score, salt });
          expect(commitment).toMatch(/^0x[0-9a-f]{64}$/);
          expect(opensCommitment(commitment, { assignmentId, score, salt })).toBe(true);
          expect(opensCommitment(commitment, { assignmentId, score: score + delta, salt })).toBe(false);
          expect(opensCommitment(commitment, { assignmentId: assignmentId + 1, score, salt })).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a salt shorter than 16 bytes or not lowercase hex is refused", () => {
    expect(() => readSalt("0x1234")).toThrow(expect.objectContaining({ code: "SALT_MALFORMED" }));
    expect(() => readSalt(`0x${"AB".repeat(16)}`)).toThrow(
      expect.objectContaining({ code: "SALT_MALFORMED" }),
    );
    expect(readSalt(SALT)).toBe(SALT);
  });
});
