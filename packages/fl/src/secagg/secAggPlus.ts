import { ProtocolError, ValidationError } from "@flock/core";
import { primitives } from "#secagg-primitives";
import { type Arrays, flatten, layoutOf } from "../arrays.ts";
import type { Grid, SendOptions } from "../grid.ts";
import type { Config, ExchangeBody, Message, Metrics, NodeId, Reply } from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import type { LinearStrategy, Strategy, TrainResult, TrainRound } from "../strategy.ts";
import { PUBLIC_KEY_BYTES } from "./crypto.ts";
import { harary, type NeighbourhoodOptions, neighbourhoodParameters } from "./graph.ts";
import {
  bad,
  bodyBytes,
  bytesField,
  bytesList,
  idList,
  type MaskedInputBody,
  type SecAggStage,
  type SetupBody,
  SHARE_COMMITMENT_BYTES,
  type ShareKeysBody,
  type UnmaskBody,
} from "./protocol.ts";
import {
  addInto,
  checkNoOverflow,
  checkQuantization,
  DEFAULT_QUANTIZATION,
  decodeSum,
  type QuantizationParameters,
} from "./quantize.ts";
import { FIELD_BYTES } from "./shamir.ts";
import { removeMasks } from "./unmask.ts";

export interface SecAggPlusOptions extends NeighbourhoodOptions, Partial<QuantizationParameters> {
  /**
   * Encode each update minus the global arrays it was trained from, and add them back after the sum
   * (default true): the clipping range then bounds a round's change, not the weights themselves. Flower
   * encodes the model itself (false).
   */
  readonly relative?: boolean;
  /** Nodes send their number of examples and training metrics in the clear, as Flower does (default true). */
  readonly revealMetrics?: boolean;
  /**
   * What a share that does not match its dealer's commitment does: "exclude" leaves it out (the round goes
   * on when enough good shares remain, and `rejected` names the sender); "fail" stops the round with
   * FL_SECAGG_BAD_SHARE naming the sender. Default "exclude".
   */
  readonly badShares?: "exclude" | "fail";
  /** Seed of the neighbour graph (default: drawn from the CSPRNG each round, which is what Bell et al. assume). */
  readonly graphSeed?: number;
}

/** A node left out of a round, or a fault found, with why. */
export interface SecAggRejection {
  readonly nodeId: NodeId;
  readonly code: string;
  readonly message: string;
}

/** What happened in the last SecAgg+ round, with the figures a benchmark wants. */
export interface SecAggRoundReport {
  readonly round: number;
  readonly sampled: number;
  readonly neighbours: number;
  readonly threshold: number;
  readonly complete: boolean;
  /** Nodes that fell out at each stage (error reply, timeout or malformed reply). */
  readonly dropped: Readonly<Record<SecAggStage, readonly NodeId[]>>;
  /** Nodes whose update is in the sum. */
  readonly included: readonly NodeId[];
  /** Bytes each node uploaded over all stages (the bodies of its replies). */
  readonly uploadBytes: ReadonlyMap<NodeId, number>;
  /** Bytes the server sent each node over all stages (bodies, plus the global arrays once). */
  readonly downloadBytes: ReadonlyMap<NodeId, number>;
  /** Wall time of the server's own work (everything but waiting for the grid), in ms. */
  readonly serverMs: number;
  /** CPU time of the server's own work, in ms. */
  readonly serverCpuMs: number;
  readonly rejected: readonly SecAggRejection[];
}

/**
 * SecAgg+ — Bell, Bonawitz, Gascón, Lepoint, Raykova, "Secure Single-Server Aggregation with
 * (Poly)Logarithmic Overhead", CCS 2020, on the protocol of Bonawitz et al., "Practical Secure Aggregation
 * for Privacy-Preserving Machine Learning", CCS 2017 — as a wrapper of any linear strategy (Flower's
 * `SecAggPlusWorkflow`). The strategy underneath samples the nodes (its `configureTrain`) and turns the
 * weighted mean into the next model (its `aggregateMean`); in between the server only ever sees masked
 * vectors and recovers their sum. Dropouts at any stage are recovered up to the neighbourhood threshold;
 * beyond it the round fails with FL_SECAGG_TOO_MANY_DROPOUTS, never with a wrong sum. Nodes run
 * `secAggPlusNode(app)`.
 *
 * Threat model (as in Bell et al.'s semi-honest setting): the server follows the protocol but looks at
 * everything it sees, and may collude with fewer than t nodes of a neighbourhood. A node that lies about the
 * shares it holds is caught by the dealer's commitments and named; a dealer whose shares do not rebuild the
 * seed or key it committed to is named; a ciphertext altered in transit fails authentication at its holder.
 * A node can still send any input it likes (no secure aggregation can check a hidden value's range), and
 * with revealMetrics on, nodes' example counts and training metrics travel in the clear, as in Flower.
 */
export class SecAggPlus implements Strategy {
  readonly name: string;
  readonly inner: LinearStrategy;
  private readonly options: SecAggPlusOptions;
  private readonly quantization: QuantizationParameters;
  /** The last round's report (dropouts, bytes, server time, faults). */
  lastRound: SecAggRoundReport | undefined;

  constructor(inner: LinearStrategy, options: SecAggPlusOptions = {}) {
    if ((inner as Partial<LinearStrategy>).linear !== true) {
      throw new ValidationError("FL_SECAGG_NOT_LINEAR", `${inner.name} is not a linear strategy`, {
        hint: "secure aggregation reveals only a weighted sum: wrap FedAvg, FedAvgM, FedAdam, FedYogi or FedAdagrad",
      });
    }
    if (inner.weightOf({ numExamples: 7 }) !== 7) {
      throw new ValidationError(
        "FL_SECAGG_NOT_LINEAR",
        `${inner.name} does not weight updates by their examples`,
        {
          hint: "SecAgg+ nodes weight their update by numExamples (as Flower does); wrap a strategy that does too",
        },
      );
    }
    this.inner = inner;
    this.name = `SecAggPlus(${inner.name})`;
    this.options = options;
    this.quantization = {
      clippingRange: options.clippingRange ?? DEFAULT_QUANTIZATION.clippingRange,
      quantizationRange: options.quantizationRange ?? DEFAULT_QUANTIZATION.quantizationRange,
      modulusRange: options.modulusRange ?? DEFAULT_QUANTIZATION.modulusRange,
      maxWeight: options.maxWeight ?? DEFAULT_QUANTIZATION.maxWeight,
    };
    checkQuantization(this.quantization);
  }

  /** Rounds run through `trainRound`; a plain configure/aggregate pair would send updates in the clear. */
  async configureTrain(): Promise<Message[]> {
    throw notPlain();
  }

  aggregateTrain(): TrainResult {
    throw notPlain();
  }

  configureEvaluate(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    return this.inner.configureEvaluate(round, arrays, config, grid);
  }

  aggregateEvaluate(round: number, replies: readonly Reply[]): Metrics | undefined {
    return this.inner.aggregateEvaluate(round, replies);
  }

  async trainRound(
    round: number,
    arrays: Arrays,
    config: Config,
    grid: Grid,
    options: SendOptions = {},
  ): Promise<TrainRound> {
    const clock = new ServerClock();
    const trainMessages = await this.inner.configureTrain(round, arrays, config, grid);
    const sampled = trainMessages.map((m) => m.nodeId);
    const n = sampled.length;
    const params = neighbourhoodParameters(n, this.options);
    const q = this.quantization;
    checkNoOverflow(q, n);
    const t = params.threshold;
    const graphSeed =
      this.options.graphSeed ?? new DataView(primitives.randomBytes(4).buffer).getUint32(0, true);
    const hoods = harary(sampled, params.neighbours, graphSeed);
    const trainMessageOf = new Map(trainMessages.map((m) => [m.nodeId, m]));
    const d = layoutOf(arrays).size;
    const badShares = this.options.badShares ?? "exclude";

    const upload = new Map<NodeId, number>(sampled.map((id) => [id, 0]));
    const download = new Map<NodeId, number>(sampled.map((id) => [id, 0]));
    const dropped: Record<SecAggStage, NodeId[]> = {
      setup: [],
      "share-keys": [],
      "masked-input": [],
      unmask: [],
    };
    const rejected: SecAggRejection[] = [];
    const failed = new Set<NodeId>();
    const reject = (nodeId: NodeId, code: string, message: string, fatal: boolean): void => {
      rejected.push({ nodeId, code, message });
      if (fatal)
        throw new ProtocolError(code, message, {
          hint: "the node named is misbehaving; leave it out of later rounds",
        });
    };

    /** One stage: send a body to each node, keep the replies that parse, note the rest as dropped. */
    const stage = async <T>(
      name: SecAggStage,
      nodes: readonly NodeId[],
      bodyOf: (id: NodeId) => ExchangeBody,
      parse: (id: NodeId, body: ExchangeBody) => T,
    ): Promise<Map<NodeId, T>> => {
      const messages: Message[] = nodes.map((nodeId) => {
        const body = bodyOf(nodeId);
        const train = name === "masked-input" ? trainMessageOf.get(nodeId)! : undefined;
        download.set(nodeId, download.get(nodeId)! + bodyBytes(body) + (train ? 4 * d : 0));
        return {
          nodeId,
          kind: "exchange",
          round,
          config: train?.config ?? {},
          ...(train?.arrays ? { arrays: train.arrays } : {}),
          body,
        };
      });
      const replies = await clock.wait(() =>
        grid.sendAndReceive(messages, {
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(name === "masked-input" && options.onReply ? { onReply: options.onReply } : {}),
        }),
      );
      const out = new Map<NodeId, T>();
      for (const reply of replies) {
        if (!upload.has(reply.nodeId) || out.has(reply.nodeId)) continue;
        if ("error" in reply) {
          failed.add(reply.nodeId);
          continue;
        }
        if (!("body" in reply)) continue;
        upload.set(reply.nodeId, upload.get(reply.nodeId)! + bodyBytes(reply.body));
        try {
          out.set(reply.nodeId, parse(reply.nodeId, reply.body));
        } catch (error) {
          // A malformed reply puts its node out of the round, like a dropout.
          const e = error as { code?: string; message: string };
          failed.add(reply.nodeId);
          reject(
            reply.nodeId,
            e.code ?? "FL_SECAGG_BAD_MESSAGE",
            `node ${reply.nodeId} (${name}): ${e.message}`,
            badShares === "fail",
          );
        }
      }
      for (const id of nodes) if (!out.has(id)) dropped[name].push(id);
      return out;
    };

    /** Flower's `_check_threshold`: every neighbourhood keeps t live holders, or the round cannot finish. */
    const checkHoods = (name: SecAggStage, live: ReadonlySet<NodeId>): void => {
      for (const id of sampled) {
        const alive = hoods.get(id)!.filter((h) => live.has(h)).length;
        if (alive < t) {
          throw new ProtocolError(
            "FL_SECAGG_TOO_MANY_DROPOUTS",
            `after ${name}, node ${id}'s neighbourhood has ${alive} of ${hoods.get(id)!.length} nodes left; the threshold is ${t} (${n - live.size} of ${n} sampled nodes dropped)`,
            {
              hint: `at most ${params.neighbours + 1 - t} dropouts per neighbourhood are recoverable; raise dropoutFraction or sample more reliable nodes`,
              details: { round, stage: name, node: id, alive, threshold: t, rejected: [...rejected] },
            },
          );
        }
      }
    };

    // Stage 0 — setup: advertise two public keys.
    const keys = await stage(
      "setup",
      sampled,
      (id): SetupBody => ({
        stage: "setup",
        neighbourhood: hoods.get(id)!,
        threshold: t,
        ...q,
        relative: this.options.relative ?? true,
        revealMetrics: this.options.revealMetrics ?? true,
      }),
      (_id, body) => ({
        pk1: bytesField(body, "pk1", PUBLIC_KEY_BYTES),
        pk2: bytesField(body, "pk2", PUBLIC_KEY_BYTES),
      }),
    );
    const u1 = new Set(keys.keys());
    checkHoods("setup", u1);

    // Stage 1 — share keys: each node deals encrypted shares of b and s to its live neighbours.
    const keyListOf = (id: NodeId): NodeId[] => hoods.get(id)!.filter((h) => u1.has(h));
    const dealers = await stage(
      "share-keys",
      [...u1],
      (id): ShareKeysBody => {
        const ids = keyListOf(id);
        return {
          stage: "share-keys",
          ids,
          pk1: ids.map((h) => keys.get(h)!.pk1),
          pk2: ids.map((h) => keys.get(h)!.pk2),
        };
      },
      (id, body) => {
        const holders = keyListOf(id);
        const ciphertexts = bytesList(body, "ciphertexts", holders.length);
        const commitments = bytesList(body, "commitments", holders.length, 2 * SHARE_COMMITMENT_BYTES);
        return {
          dealer: {
            holders,
            commitments: new Map(holders.map((h, i) => [h, commitments[i]!])),
            seedCommitment: bytesField(body, "seedCommitment", 32),
          },
          ciphertexts,
        };
      },
    );
    const u2 = new Set(dealers.keys());
    checkHoods("share-keys", u2);

    // Route each ciphertext to its holder (only holders still in the round).
    const inbox = new Map<NodeId, { from: NodeId[]; ciphertexts: Uint8Array[]; commitments: Uint8Array[] }>(
      [...u2].map((id) => [id, { from: [], ciphertexts: [], commitments: [] }]),
    );
    for (const [dealerId, { dealer, ciphertexts }] of dealers) {
      dealer.holders.forEach((holder, i) => {
        const box = inbox.get(holder);
        if (holder === dealerId || !box) return;
        box.from.push(dealerId);
        box.ciphertexts.push(ciphertexts[i]!);
        box.commitments.push(dealer.commitments.get(holder)!);
      });
    }

    // Stage 2 — masked input: each node trains, encodes and masks its update.
    // [1, q_weight, values…]
    const width = d + 2;
    const inputs = await stage(
      "masked-input",
      [...u2],
      (id): MaskedInputBody => ({ stage: "masked-input", ...inbox.get(id)! }),
      (_id, body) => {
        const masked = body.masked;
        if (!(masked instanceof Uint32Array) || masked.length !== width) {
          throw bad(`masked must be ${width} 32-bit words`);
        }
        if (q.modulusRange !== 2 ** 32 && masked.some((v) => v >= q.modulusRange)) {
          throw bad("a masked word beyond the modulus");
        }
        const accused = idList(body, "accused");
        const numExamples = typeof body.numExamples === "number" ? body.numExamples : undefined;
        const metrics = isMetrics(body.metrics) ? body.metrics : {};
        return { masked, accused, numExamples, metrics };
      },
    );
    for (const [id, { accused }] of inputs) {
      for (const dealer of accused) {
        reject(
          dealer,
          "FL_SECAGG_ACCUSED",
          `node ${id} reports that node ${dealer}'s share failed to decrypt or to match its commitment`,
          badShares === "fail",
        );
      }
    }
    const u3 = new Set(inputs.keys());
    checkHoods("masked-input", u3);
    const sum = new Uint32Array(width);
    for (const { masked } of inputs.values()) addInto(sum, masked, q.modulusRange);

    // Stage 3 — unmask: b-shares of the survivors, s-shares of those that dropped after sharing keys.
    const shares = await stage(
      "unmask",
      [...u3],
      (id): UnmaskBody => {
        const hood = hoods.get(id)!;
        return {
          stage: "unmask",
          survivors: hood.filter((h) => u3.has(h)),
          dropped: hood.filter((h) => u2.has(h) && !u3.has(h)),
        };
      },
      (id, body) => {
        const hood = hoods.get(id)!;
        const seedOf = hood.filter((h) => u3.has(h));
        const keyOf = hood.filter((h) => u2.has(h) && !u3.has(h));
        const seedShares = bytesList(body, "seedShares", seedOf.length, FIELD_BYTES, true);
        const keyShares = bytesList(body, "keyShares", keyOf.length, FIELD_BYTES, true);
        return { seedOf, seedShares, keyOf, keyShares };
      },
    );

    removeMasks({
      round,
      sum,
      threshold: t,
      modulus: q.modulusRange,
      hoods,
      survivors: u3,
      shared: u2,
      dealers: new Map([...dealers].map(([id, { dealer }]) => [id, dealer])),
      maskKeys: new Map([...keys].map(([id, k]) => [id, k.pk1])),
      maskedWith: new Map([...inbox].map(([id, box]) => [id, box.from])),
      shares,
      onBadShare: (holder, message) => reject(holder, "FL_SECAGG_BAD_SHARE", message, badShares === "fail"),
    });
    const { weightedSum, totalRatio } = decodeSum(sum.subarray(1), u3.size, q);
    const mean = new Float64Array(d);
    const relative = this.options.relative ?? true;
    const base = relative ? flatten(arrays) : undefined;
    for (let i = 0; i < d; i++) mean[i] = weightedSum[i]! / totalRatio + (base ? base[i]! : 0);
    const metricItems = [...inputs.values()]
      .filter((v) => v.numExamples !== undefined && v.numExamples > 0)
      .map((v) => ({ numExamples: v.numExamples!, metrics: v.metrics }));
    const result = this.inner.aggregateMean(
      round,
      mean,
      totalRatio * q.maxWeight,
      weightedMetrics(metricItems),
    );

    this.lastRound = {
      round,
      sampled: n,
      neighbours: params.neighbours,
      threshold: t,
      complete: params.complete,
      dropped,
      included: [...u3],
      uploadBytes: upload,
      downloadBytes: download,
      serverMs: clock.elapsed(),
      serverCpuMs: clock.cpu(),
      rejected,
    };
    const answered = sampled.filter((id) => u3.has(id) || failed.has(id)).length;
    return {
      ...result,
      sent: n,
      replied: answered,
      failed: sampled.filter((id) => !u3.has(id) && failed.has(id)).length,
    };
  }
}

function notPlain(): ValidationError {
  return new ValidationError("FL_SECAGG_PLAIN_ROUND", "SecAggPlus runs its rounds through trainRound", {
    hint: "use runFederation (or call trainRound); configure/aggregate would send updates in the clear",
  });
}

function isMetrics(value: unknown): value is Record<string, number> {
  return (
    typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "number")
  );
}

/**
 * Server time: total wall and CPU time minus what passed while waiting on the grid. In one process the
 * nodes only run inside `sendAndReceive`, so the CPU figure is the server's own even on a busy machine.
 */
class ServerClock {
  private readonly started = performance.now();
  private readonly startedCpu = process.cpuUsage();
  private waiting = 0;
  private waitingCpu = 0;

  async wait<T>(f: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    try {
      return await f();
    } finally {
      this.waiting += performance.now() - start;
      this.waitingCpu += cpuMs(process.cpuUsage(startCpu));
    }
  }

  elapsed(): number {
    return performance.now() - this.started - this.waiting;
  }

  cpu(): number {
    return cpuMs(process.cpuUsage(this.startedCpu)) - this.waitingCpu;
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
