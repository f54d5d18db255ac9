import { usageCost } from "@flock/protocol";
import type { ApiKeyRecord } from "@flock/store";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";
import { type Charge, Meter } from "./meter.ts";

const PRICE = { promptPer1k: 7_000n, completionPer1k: 13_000n };
const MODEL = "flock/metered";

let t: TestApp;
let meter: Meter;
let accounts = 0;

beforeAll(async () => {
  t = await startTestApp();
  meter = new Meter({
    db: t.db,
    repos: t.repos,
    clock: { now: () => new Date() },
    defaultPrice: PRICE,
  });
});
afterAll(() => t?.dispose());

/** A funded account with a key, as the key auth hands it to the meter. */
async function fundedKey(balance: bigint): Promise<ApiKeyRecord> {
  const owner = `0x${(++accounts).toString(16).padStart(40, "0")}`;
  await t.repos.credits.apply({
    kind: "deposited",
    account: owner,
    amount: balance,
    blockNumber: accounts,
    logIndex: 0,
  });
  return t.repos.apiKeys.create({
    owner,
    name: "k",
    prefix: "flk_test",
    secretHash: accounts.toString(16).padStart(64, "0"),
    models: null,
    plan: null,
  });
}

const call = fc.record({
  promptTokens: fc.integer({ min: 1, max: 300 }),
  maxCompletionTokens: fc.integer({ min: 1, max: 300 }),
  /** Share of max_tokens the call produces, or a failure before any token. */
  outcome: fc.oneof(fc.constant("fails" as const), fc.double({ min: 0, max: 1, noNaN: true })),
});

describe("the meter (property, over PGlite)", () => {
  it("concurrent calls never reserve or bill more than the balance; refusals only when the worst case does not fit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 20_000n }),
        fc.array(call, { minLength: 1, maxLength: 8 }),
        async (balance, calls) => {
          const key = await fundedKey(balance);
          const reserved = await Promise.all(
            calls.map((c) =>
              meter
                .reserve({
                  key,
                  model: MODEL,
                  modelId: null,
                  promptTokens: c.promptTokens,
                  maxCompletionTokens: c.maxCompletionTokens,
                })
                .then(
                  (charge) => ({ charge }),
                  (error: { code?: string }) => ({ refused: error.code }),
                ),
            ),
          );
          const worst = calls.map((c) => usageCost(PRICE, c.promptTokens, c.maxCompletionTokens));
          const accepted = reserved.flatMap((r, i) => ("charge" in r ? [i] : []));
          // What was promised at once fits the balance.
          expect(accepted.reduce((sum, i) => sum + worst[i]!, 0n)).toBeLessThanOrEqual(balance);
          for (const [i, r] of reserved.entries()) {
            if ("refused" in r) {
              expect(r.refused).toBe("CREDIT_BALANCE_TOO_LOW");
              // When it was decided, the calls reserved then (some of those accepted) left less than its worst case.
              expect(worst[i]! + accepted.reduce((sum, j) => sum + worst[j]!, 0n)).toBeGreaterThan(balance);
            }
          }
          let billed = 0n;
          await Promise.all(
            reserved.map(async (r, i) => {
              if (!("charge" in r)) return;
              const charge: Charge = r.charge;
              const c = calls[i]!;
              if (c.outcome === "fails") return charge.release();
              const produced = Math.floor(c.maxCompletionTokens * c.outcome);
              const record = await charge.bill(c.promptTokens, produced);
              expect(record.cost).toBe(usageCost(PRICE, c.promptTokens, produced));
              billed += record.cost;
            }),
          );
          expect(billed).toBeLessThanOrEqual(balance);
          const after = await meter.available(key.owner);
          expect(after.reserved).toBe(0n);
          expect(after.spendable).toBe(balance - billed);
          // Once everything settled, a call is refused exactly when its worst case exceeds what is left.
          const probe = calls[0]!;
          const probeWorst = usageCost(PRICE, probe.promptTokens, probe.maxCompletionTokens);
          const next = await meter
            .reserve({
              key,
              model: MODEL,
              modelId: null,
              promptTokens: probe.promptTokens,
              maxCompletionTokens: probe.maxCompletionTokens,
            })
            .then(
              (charge) => {
                charge.release();
                return true;
              },
              () => false,
            );
          expect(next).toBe(probeWorst <= balance - billed);
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);
});
