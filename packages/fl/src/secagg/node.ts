import { ProtocolError } from "@flock/core";
import { createRng, mixSeed } from "@flock/engine";
import { primitives } from "#secagg-primitives";
import { assertLayout, flatten, layoutOf } from "../arrays.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import type { ExchangeBody, Message, NodeId } from "../messages.ts";
import {
  agreeKey,
  bytesEqual,
  expandMask,
  generateKeyPair,
  hkdf,
  type KeyPair,
  keyPairFromSeed,
  open,
  PUBLIC_KEY_BYTES,
  publicKeyObject,
  seal,
} from "./crypto.ts";
import { toHex } from "./primitives.ts";
import {
  bad,
  bytesList,
  idList,
  type MaskedInputReply,
  maskKeyInfo,
  numberField,
  pairInfo,
  type SecAggStage,
  type SetupReply,
  SHARE_COMMITMENT_BYTES,
  SHARE_PLAINTEXT_BYTES,
  type ShareKeysReply,
  seedCommitment,
  selfMaskInfo,
  shareAad,
  shareCommitment,
  shareNonce,
  type UnmaskReply,
} from "./protocol.ts";
import {
  addInto,
  checkQuantization,
  encodeInput,
  type QuantizationParameters,
  quantizeWeight,
  subtractInto,
} from "./quantize.ts";
import { bytesToField, FIELD_BYTES, fieldToBytes, randomFieldElement, splitSecret } from "./shamir.ts";

export interface SecAggPlusNodeOptions {
  /**
   * Seed of the stochastic rounding of the node's encoding (default: drawn from the CSPRNG once). A
   * simulation sets it so a run repeats exactly; the masks and keys always come from the CSPRNG.
   */
  readonly roundingSeed?: number;
}

/** What a node remembers between the stages of one round; dropped after `unmask` or a new `setup`. */
interface NodeState {
  readonly round: number;
  stage: SecAggStage;
  readonly neighbourhood: readonly NodeId[];
  /** Each neighbour's share point x = 1 + its index in the neighbourhood. */
  readonly pointOf: ReadonlyMap<NodeId, number>;
  readonly threshold: number;
  readonly quantization: QuantizationParameters;
  readonly relative: boolean;
  readonly revealMetrics: boolean;
  readonly seedB: bigint;
  readonly seedS: bigint;
  readonly maskKeys: KeyPair;
  readonly shareKeys: KeyPair;
  /** Live neighbours' pk1 (for pairwise masks) and the share-encryption keys agreed with them. */
  peers: Map<NodeId, { pk1: Uint8Array; shareKey: Uint8Array }>;
  /** Shares this node holds, by dealer (its own included). */
  held: Map<NodeId, { b: Uint8Array; s: Uint8Array }>;
}

/**
 * A node app that also answers the SecAgg+ stages (Flower's `secaggplus_mod`): training happens inside the
 * masked-input stage through `app.train`, and only the masked encoding of the update leaves the node. State
 * is kept per node and round, and discarded when the round ends.
 */
export function secAggPlusNode(app: NodeApp, options: SecAggPlusNodeOptions = {}): NodeApp {
  const states = new Map<NodeId, NodeState>();
  const roundingSeed =
    options.roundingSeed ?? new DataView(primitives.randomBytes(4).buffer).getUint32(0, true);
  let latestRound = Number.NEGATIVE_INFINITY;
  return {
    train: (message) => app.train(message),
    evaluate: (message) => app.evaluate(message),
    async exchange(message: Message): Promise<ExchangeBody> {
      const body = message.body;
      if (!body || typeof body.stage !== "string") {
        if (app.exchange) return app.exchange(message);
        throw bad("an exchange without a stage");
      }
      const { nodeId, round } = message;
      if (body.stage === "setup") {
        if (round > latestRound) {
          // A new round: what nodes that dropped out of earlier rounds still hold is of no use any more.
          latestRound = round;
          for (const [id, old] of states) if (old.round < round) states.delete(id);
        }
        const state = setup(round, nodeId, body);
        states.set(nodeId, state);
        return { pk1: state.maskKeys.publicKey, pk2: state.shareKeys.publicKey } satisfies SetupReply;
      }
      const state = states.get(nodeId);
      const expected = state ? nextStage(state.stage) : undefined;
      if (!state || state.round !== round || body.stage !== expected) {
        throw new ProtocolError(
          "FL_SECAGG_STAGE",
          `node ${nodeId} got stage ${String(body.stage)} of round ${round}; it expected ${expected ?? "setup"}${state ? ` of round ${state.round}` : ""}`,
          { hint: "the server runs setup, share-keys, masked-input, unmask in order, once per round" },
        );
      }
      state.stage = body.stage as SecAggStage;
      try {
        if (body.stage === "share-keys") return shareKeys(state, nodeId, body);
        if (body.stage === "masked-input") {
          return await maskedInput(state, nodeId, message, app, roundingSeed);
        }
        states.delete(nodeId);
        return unmask(state, nodeId, body);
      } catch (error) {
        // A node that fails a stage is out of the round: its secrets go with it.
        states.delete(nodeId);
        throw error;
      }
    },
  };
}

function nextStage(stage: SecAggStage): SecAggStage | undefined {
  if (stage === "setup") return "share-keys";
  if (stage === "share-keys") return "masked-input";
  if (stage === "masked-input") return "unmask";
  return undefined;
}

function setup(round: number, nodeId: NodeId, body: ExchangeBody): NodeState {
  const neighbourhood = idList(body, "neighbourhood");
  if (!neighbourhood.includes(nodeId)) throw bad(`node ${nodeId} is not in its own neighbourhood`);
  const threshold = numberField(body, "threshold");
  if (
    !Number.isSafeInteger(threshold) ||
    threshold <= neighbourhood.length / 2 ||
    threshold > neighbourhood.length
  ) {
    throw bad(
      `a threshold of ${threshold} for ${neighbourhood.length} holders`,
      "the threshold must be a majority of the neighbourhood, or privacy is lost",
    );
  }
  const quantization: QuantizationParameters = {
    clippingRange: numberField(body, "clippingRange"),
    quantizationRange: numberField(body, "quantizationRange"),
    modulusRange: numberField(body, "modulusRange"),
    maxWeight: numberField(body, "maxWeight"),
  };
  checkQuantization(quantization);
  const seedS = randomFieldElement();
  return {
    round,
    stage: "setup",
    neighbourhood,
    pointOf: new Map(neighbourhood.map((id, i) => [id, i + 1])),
    threshold,
    quantization,
    relative: body.relative === true,
    revealMetrics: body.revealMetrics === true,
    seedB: randomFieldElement(),
    seedS,
    maskKeys: keyPairFromSeed(fieldToBytes(seedS), maskKeyInfo(round, nodeId)),
    shareKeys: generateKeyPair(),
    peers: new Map(),
    held: new Map(),
  };
}

function shareKeys(state: NodeState, nodeId: NodeId, body: ExchangeBody): ShareKeysReply {
  const ids = idList(body, "ids");
  const pk1 = bytesList(body, "pk1", ids.length, PUBLIC_KEY_BYTES);
  const pk2 = bytesList(body, "pk2", ids.length, PUBLIC_KEY_BYTES);
  if (ids.length < state.threshold) {
    throw new ProtocolError(
      "FL_SECAGG_TOO_MANY_DROPOUTS",
      `node ${nodeId} has ${ids.length} live holders; the threshold is ${state.threshold}`,
      { hint: "too many neighbours dropped before sharing keys" },
    );
  }
  const self = ids.indexOf(nodeId);
  if (
    self < 0 ||
    !bytesEqual(pk1[self]!, state.maskKeys.publicKey) ||
    !bytesEqual(pk2[self]!, state.shareKeys.publicKey)
  ) {
    throw bad(`node ${nodeId}'s own keys are missing or altered in the key list`);
  }
  const keys = [...pk1, ...pk2].map((k) => toHex(k));
  if (new Set(keys).size !== keys.length) throw bad("two advertised public keys are identical");
  for (const id of ids) {
    if (!state.pointOf.has(id)) throw bad(`node ${id} is not a neighbour of node ${nodeId}`);
  }
  const xs = ids.map((id) => state.pointOf.get(id)!);
  const bShares = splitSecret(state.seedB, xs, state.threshold);
  const sShares = splitSecret(state.seedS, xs, state.threshold);
  const ciphertexts: Uint8Array[] = [];
  const commitments: Uint8Array[] = [];
  ids.forEach((holder, i) => {
    const b = fieldToBytes(bShares[i]!.y);
    const s = fieldToBytes(sShares[i]!.y);
    const commitment = new Uint8Array(2 * SHARE_COMMITMENT_BYTES);
    commitment.set(shareCommitment(state.round, nodeId, holder, "b", b), 0);
    commitment.set(shareCommitment(state.round, nodeId, holder, "s", s), SHARE_COMMITMENT_BYTES);
    commitments.push(commitment);
    if (holder === nodeId) {
      state.held.set(nodeId, { b, s });
      ciphertexts.push(new Uint8Array(0));
      return;
    }
    const shareKey = agreeKey(
      state.shareKeys.privateKey,
      publicKeyObject(pk2[i]!),
      pairInfo("share", state.round, nodeId, holder),
    );
    state.peers.set(holder, { pk1: pk1[i]!, shareKey });
    const plaintext = new Uint8Array(SHARE_PLAINTEXT_BYTES);
    plaintext.set(b, 0);
    plaintext.set(s, FIELD_BYTES);
    ciphertexts.push(
      seal(shareKey, shareNonce(nodeId, holder), plaintext, shareAad(state.round, nodeId, holder)),
    );
  });
  return {
    ciphertexts,
    commitments,
    seedCommitment: seedCommitment(state.round, nodeId, fieldToBytes(state.seedB)),
  };
}

async function maskedInput(
  state: NodeState,
  nodeId: NodeId,
  message: Message,
  app: NodeApp,
  roundingSeed: number,
): Promise<MaskedInputReply> {
  const body = message.body!;
  const from = idList(body, "from");
  const ciphertexts = bytesList(body, "ciphertexts", from.length);
  const commitments = bytesList(body, "commitments", from.length, 2 * SHARE_COMMITMENT_BYTES);
  if (from.length + 1 < state.threshold) {
    throw new ProtocolError(
      "FL_SECAGG_TOO_MANY_DROPOUTS",
      `node ${nodeId} received shares from ${from.length} neighbours; the threshold is ${state.threshold}`,
      { hint: "too many neighbours dropped while sharing keys" },
    );
  }
  const accused: NodeId[] = [];
  from.forEach((dealer, i) => {
    const peer = state.peers.get(dealer);
    if (!peer) throw bad(`node ${dealer} is not a live neighbour of node ${nodeId}`);
    try {
      const plaintext = open(
        peer.shareKey,
        shareNonce(dealer, nodeId),
        ciphertexts[i]!,
        shareAad(state.round, dealer, nodeId),
      );
      if (plaintext.length !== SHARE_PLAINTEXT_BYTES) throw bad("a share plaintext of the wrong size");
      const b = plaintext.slice(0, FIELD_BYTES);
      const s = plaintext.slice(FIELD_BYTES);
      bytesToField(b);
      bytesToField(s);
      const c = commitments[i]!;
      if (
        !bytesEqual(
          c.subarray(0, SHARE_COMMITMENT_BYTES),
          shareCommitment(state.round, dealer, nodeId, "b", b),
        ) ||
        !bytesEqual(c.subarray(SHARE_COMMITMENT_BYTES), shareCommitment(state.round, dealer, nodeId, "s", s))
      ) {
        throw bad(`node ${dealer}'s share does not match its commitment`);
      }
      state.held.set(dealer, { b, s });
    } catch {
      // A share that does not decrypt or match is not used; the server learns who sent it.
      accused.push(dealer);
    }
  });
  // Only neighbours that shared keys with this node are masked with (they will mask with it in turn).
  const maskPeers = from;
  const maskSet = new Set(maskPeers);
  for (const id of state.peers.keys()) if (!maskSet.has(id)) state.peers.delete(id);

  const trainMessage: Message = {
    nodeId,
    kind: "train",
    round: message.round,
    config: message.config,
    ...(message.arrays ? { arrays: message.arrays } : {}),
  };
  const update = await app.train(trainMessage);
  let x = flatten(update.arrays);
  if (message.arrays) {
    assertLayout(layoutOf(message.arrays), update.arrays, `node ${nodeId}'s update`);
    if (state.relative) {
      const base = flatten(message.arrays);
      const delta = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) delta[i] = x[i]! - base[i]!;
      x = delta as unknown as Float32Array;
    }
  }
  const q = state.quantization;
  const rng = createRng(mixSeed(roundingSeed, message.round, hashId(nodeId)));
  const encoded = encodeInput(x, quantizeWeight(update.numExamples, q), q, rng);
  // [1, q_weight, values…]: the leading 1 lets the server check that every mask cancelled.
  const masked = new Uint32Array(encoded.length + 1);
  masked[0] = 1;
  masked.set(encoded, 1);
  addInto(
    masked,
    expandMask(
      hkdf(fieldToBytes(state.seedB), selfMaskInfo(state.round, nodeId)),
      masked.length,
      q.modulusRange,
    ),
    q.modulusRange,
  );
  for (const peer of maskPeers) {
    const key = agreeKey(
      state.maskKeys.privateKey,
      publicKeyObject(state.peers.get(peer)!.pk1),
      pairInfo("mask", state.round, nodeId, peer),
    );
    const mask = expandMask(key, masked.length, q.modulusRange);
    // Bonawitz et al.: u adds PRG(s_uv) for v < u and subtracts it for v > u, so each pair cancels.
    if (nodeId > peer) addInto(masked, mask, q.modulusRange);
    else subtractInto(masked, mask, q.modulusRange);
  }
  return {
    masked,
    accused,
    ...(state.revealMetrics ? { numExamples: update.numExamples, metrics: { ...update.metrics } } : {}),
  };
}

function unmask(state: NodeState, nodeId: NodeId, body: ExchangeBody): UnmaskReply {
  const survivors = idList(body, "survivors");
  const dropped = idList(body, "dropped");
  const droppedSet = new Set(dropped);
  const overlap = survivors.filter((id) => droppedSet.has(id));
  if (overlap.length > 0) {
    throw bad(
      `node ${overlap[0]} is listed both as a survivor and as dropped`,
      "a node's b and s must never both be revealed",
    );
  }
  if (!survivors.includes(nodeId))
    throw bad(`node ${nodeId} is asked to unmask but is not listed as a survivor`);
  if (survivors.length < state.threshold) {
    throw new ProtocolError(
      "FL_SECAGG_TOO_MANY_DROPOUTS",
      `node ${nodeId} is told of ${survivors.length} surviving neighbours; the threshold is ${state.threshold}`,
      { hint: "too few neighbours sent their masked input" },
    );
  }
  for (const id of [...survivors, ...dropped]) {
    if (!state.pointOf.has(id)) throw bad(`node ${id} is not a neighbour of node ${nodeId}`);
  }
  const none = new Uint8Array(0);
  return {
    seedShares: survivors.map((id) => state.held.get(id)?.b ?? none),
    keyShares: dropped.map((id) => state.held.get(id)?.s ?? none),
  };
}

/** A 32-bit hash of a node id (FNV-1a), to give each node its own rounding stream. */
function hashId(id: NodeId): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
