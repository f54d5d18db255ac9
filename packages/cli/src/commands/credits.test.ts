import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { creditBalanceOf, getBalances } from "@flock/chain";
import { parseFlock } from "@flock/core";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHome } from "../home.ts";
import { bufferIo } from "../io.ts";
import { main } from "../main.ts";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../network/embeddedNetwork.ts";
import { participant } from "../network/participant.ts";

const never = new AbortController().signal;

/** `flock credits deposit|withdraw|balance` on the embedded network (anvil, PGlite, the coordinator over HTTP). */
describe("flock credits", () => {
  let root: string;
  let network: EmbeddedNetwork;

  const flock = async (...argv: string[]) => {
    const io = bufferIo();
    const code = await main(["--home", root, ...argv], io, { signal: never });
    return { code, out: io.out(), err: io.err() };
  };
  const walletOf = async (name: string) => {
    const me = participant(ensureHome(root), name);
    return (await getBalances(me.chain, { account: me.address as Address })).flock;
  };
  const creditOf = async (name: string) => {
    const me = participant(ensureHome(root), name);
    return creditBalanceOf(me.chain, { account: me.address as Address });
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "flock-credits-"));
    network = await startEmbeddedNetwork({ home: ensureHome(root) });
  });
  afterAll(async () => {
    await network?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("deposit moves FLOCK from the wallet into the usage credit; --for funds another account", async () => {
    const before = await walletOf("ada");
    const own = await flock("credits", "deposit", "25", "--account", "ada");
    expect(own.code, own.err).toBe(0);
    expect(own.out).toContain("deposited 25 FLOCK into the usage credit of ada: 25 FLOCK on-chain");
    const sponsored = await flock("--json", "credits", "deposit", "5", "--for", "ada", "--account", "bo");
    expect(sponsored.code, sponsored.err).toBe(0);
    expect(JSON.parse(sponsored.out)).toMatchObject({
      amount: parseFlock("5").toString(),
      balance: parseFlock("30").toString(),
    });
    expect(await walletOf("ada")).toBe(before - parseFlock("25"));

    const balance = await flock("--json", "credits", "balance", "ada");
    expect(balance.code, balance.err).toBe(0);
    expect(JSON.parse(balance.out)).toMatchObject({
      deposited: parseFlock("30").toString(),
      withdrawn: "0",
      charged: "0",
      pendingWithdrawal: "0",
      pendingAvailableAt: null,
      onChainBalance: parseFlock("30").toString(),
    });
    const human = await flock("credits", "balance", "--account", "ada");
    expect(human.out).toMatch(/on-chain balance\s+30 FLOCK/);
  });

  it("a deposit above the wallet is refused before sending, saying how much it holds", async () => {
    const held = await walletOf("cy");
    const refused = await flock("credits", "deposit", "10000000", "--account", "cy");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("error INSUFFICIENT_BALANCE: cy holds");
    expect(refused.err).toContain("not enough to deposit 10000000");
    expect(refused.err).toContain("hint:");
    expect(await walletOf("cy")).toBe(held);
  });

  it("withdraw: without a request, and too early, says what to do and when; after the delay it pays", async () => {
    const none = await flock("credits", "withdraw", "--account", "ada");
    expect(none.code).toBe(1);
    expect(none.err).toContain("error CREDIT_WITHDRAWAL_NOT_REQUESTED:");
    expect(none.err).toContain("flock credits withdraw --request <amount>");

    const tooMuch = await flock("credits", "withdraw", "--request", "31", "--account", "ada");
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.err).toContain("error CREDIT_INSUFFICIENT:");

    const requested = await flock("credits", "withdraw", "--request", "10", "--account", "ada");
    expect(requested.code, requested.err).toBe(0);
    expect(requested.out).toContain("requested a withdrawal of 10 FLOCK of usage credit");
    const { availableAt } = await creditOf("ada");
    const when = new Date(Number(availableAt) * 1000).toISOString();

    const early = await flock("credits", "withdraw", "--account", "ada");
    expect(early.code).toBe(1);
    expect(early.err).toContain(
      `error CREDIT_WITHDRAWAL_NOT_READY: too early: the withdrawal of 10 FLOCK becomes available at ${when} (in 1 h`,
    );
    expect(early.err).toContain(`hint: run \`flock credits withdraw\` again after ${when}`);

    // someone else cannot take it: bo has no request of his own
    const other = await flock("credits", "withdraw", "--account", "bo");
    expect(other.code).toBe(1);
    expect(other.err).toContain("error CREDIT_WITHDRAWAL_NOT_REQUESTED:");

    await network.chain.advanceTime(3_601);
    const before = await walletOf("ada");
    const paid = await flock("credits", "withdraw", "--account", "ada");
    expect(paid.code, paid.err).toBe(0);
    expect(paid.out).toContain("withdrew 10 FLOCK of usage credit to ada's wallet; 20 FLOCK left");
    expect(await walletOf("ada")).toBe(before + parseFlock("10"));
    const balance = JSON.parse((await flock("--json", "credits", "balance", "ada")).out);
    expect(balance).toMatchObject({ withdrawn: parseFlock("10").toString(), pendingWithdrawal: "0" });
  });
});
