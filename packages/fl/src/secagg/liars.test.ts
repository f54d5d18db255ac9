import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import type { Grid } from "../grid.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { ExchangeBody, Message, NodeId } from "../messages.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { secAggPlusNode } from "./node.ts";
import type { SecAggStage } from "./protocol.ts";
import { SecAggPlus, type SecAggPlusOptions } from "./secAggPlus.ts";
import { type DropoutPoint, droppingNode, RecordingGrid } from "./simulation.ts";
import { maxDiff, modelOf, plainMean, quantizationBound, trainingApp } from "./testKit.ts";

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

/** A node app whose `liars` rewrite their reply at `stage`. */
function lying(
  app: NodeApp,
  liars: readonly NodeId[],
  stage: SecAggStage,
  rewrite: (body: ExchangeBody) => ExchangeBody,
): NodeApp {
  return {
    ...app,
    async exchange(message: Message) {
      const body = await app.exchange!(message);
      return liars.includes(message.nodeId) && message.body?.stage === stage ? rewrite(body) : body;
    },
  };
}

const flipFirst =
  (key: string) =>
  (body: ExchangeBody): ExchangeBody => {
    const list = (body[key] as Uint8Array[]).map((b) => b.slice());
    list[0]![0]! ^= 0x01;
    return { ...body, [key]: list };
  };

async function round(app: NodeApp, options: SecAggPlusOptions = {}, wrapGrid?: (g: Grid) => Grid) {
  const base = modelOf(30);
  const strategy = new SecAggPlus(new FedAvg({ minTrainNodes: 10 }), options);
  const inner = new InMemoryGrid({ nodes: 10, app });
  const out = await strategy.trainRound(1, base, {}, wrapGrid ? wrapGrid(inner) : inner);
  return { strategy, mean: flatten(out.arrays!), base };
}

describe("SecAgg+ against lying clients", () => {
  it("a share that does not match its dealer's commitment is left out and its sender named", async () => {
    const app = lying(secAggPlusNode(trainingApp), ["2"], "unmask", flipFirst("seedShares"));
    const { strategy, mean, base } = await round(app);
    expect(maxDiff(mean, plainMean(base, ids(10)))).toBeLessThanOrEqual(quantizationBound(ids(10)));
    expect(strategy.lastRound!.rejected).toEqual([
      expect.objectContaining({
        nodeId: "2",
        code: "FL_SECAGG_BAD_SHARE",
        message: expect.stringMatching(/^node 2 sent/),
      }),
    ]);
  });

  it("with badShares: fail, the round stops with FL_SECAGG_BAD_SHARE naming the liar", async () => {
    const app = lying(secAggPlusNode(trainingApp), ["2"], "unmask", flipFirst("seedShares"));
    await expect(round(app, { badShares: "fail" })).rejects.toMatchObject({
      code: "FL_SECAGG_BAD_SHARE",
      message: expect.stringMatching(/node 2 sent a share of node \d+'s self-mask seed/),
    });
  });

  it("a lie about a dropped node's mask-key share is caught the same way", async () => {
    const plan = new Map<NodeId, DropoutPoint>([["5", "masked-input"]]);
    const app = lying(
      droppingNode(secAggPlusNode(trainingApp), plan),
      ["2"],
      "unmask",
      flipFirst("keyShares"),
    );
    const { strategy, mean, base } = await round(app);
    const included = ids(10).filter((id) => id !== "5");
    expect(maxDiff(mean, plainMean(base, included))).toBeLessThanOrEqual(quantizationBound(included));
    expect(strategy.lastRound!.rejected).toContainEqual(
      expect.objectContaining({
        nodeId: "2",
        code: "FL_SECAGG_BAD_SHARE",
        message: expect.stringMatching(/node 5's mask key/),
      }),
    );
  });

  it("liars beyond the threshold fail the round clearly, never with a wrong sum", async () => {
    const app = lying(secAggPlusNode(trainingApp), ["1", "2", "3", "4"], "unmask", (body) => ({
      ...body,
      seedShares: (body.seedShares as Uint8Array[]).map((b) => b.map((x) => x ^ 0x02)),
    }));
    await expect(round(app)).rejects.toMatchObject({ code: "FL_SECAGG_TOO_MANY_DROPOUTS" });
  });

  it("a dealer whose shares do not open its commitment is named", async () => {
    const app = lying(secAggPlusNode(trainingApp), ["3"], "share-keys", (body) => ({
      ...body,
      seedCommitment: new Uint8Array(32).fill(7),
    }));
    await expect(round(app)).rejects.toMatchObject({
      code: "FL_SECAGG_BAD_DEALER",
      message: expect.stringMatching(/^node 3's shares/),
    });
  });

  it("a share ciphertext altered in transit is detected by its holder, and the round still finishes", async () => {
    const tamper = (grid: Grid): Grid => ({
      nodeIds: () => grid.nodeIds(),
      sendAndReceive: (messages, options) =>
        grid.sendAndReceive(
          messages.map((m) => {
            if (m.nodeId !== "4" || m.body?.stage !== "masked-input") return m;
            const ciphertexts = (m.body.ciphertexts as Uint8Array[]).map((c) => c.slice());
            ciphertexts[0]![5]! ^= 0x80;
            return { ...m, body: { ...m.body, ciphertexts } };
          }),
          options,
        ),
    });
    const { strategy, mean, base } = await round(secAggPlusNode(trainingApp), {}, tamper);
    expect(maxDiff(mean, plainMean(base, ids(10)))).toBeLessThanOrEqual(quantizationBound(ids(10)));
    expect(strategy.lastRound!.rejected).toEqual([
      expect.objectContaining({
        code: "FL_SECAGG_ACCUSED",
        message: expect.stringMatching(/^node 4 reports/),
      }),
    ]);
  });

  it("a node refuses a server that asks for both seeds of one node", async () => {
    const greedy = (grid: Grid): Grid => {
      const recorded = new RecordingGrid({
        nodeIds: () => grid.nodeIds(),
        sendAndReceive: (messages, options) =>
          grid.sendAndReceive(
            messages.map((m) => {
              if (m.nodeId !== "0" || m.body?.stage !== "unmask") return m;
              // Ask node 0 for node 1's mask key although node 1 is listed as a survivor.
              return { ...m, body: { ...m.body, dropped: ["1"] } };
            }),
            options,
          ),
      });
      view = recorded;
      return recorded;
    };
    let view: RecordingGrid | undefined;
    const { strategy, mean, base } = await round(secAggPlusNode(trainingApp), {}, greedy);
    const refusal = view!.received.find((r) => r.nodeId === "0" && "error" in r);
    expect(refusal).toMatchObject({
      error: { code: "FL_SECAGG_BAD_MESSAGE", message: expect.stringMatching(/both/) },
    });
    // Node 0's refusal is one more dropout; the others' shares still unmask the sum.
    expect(strategy.lastRound!.dropped.unmask).toEqual(["0"]);
    expect(maxDiff(mean, plainMean(base, ids(10)))).toBeLessThanOrEqual(quantizationBound(ids(10)));
  });
});
