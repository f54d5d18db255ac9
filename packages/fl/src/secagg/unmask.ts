import { ProtocolError } from "@flock/core";
import type { NodeId } from "../messages.ts";
import { agreeKey, bytesEqual, expandMask, hkdf, keyPairFromSeed, publicKeyObject } from "./crypto.ts";
import {
  maskKeyInfo,
  pairInfo,
  SHARE_COMMITMENT_BYTES,
  seedCommitment,
  selfMaskInfo,
  shareCommitment,
} from "./protocol.ts";
import { addInto, subtractInto } from "./quantize.ts";
import { bytesToField, combineShares, fieldToBytes, type Share } from "./shamir.ts";

/** What the server learns of one dealer in share-keys. */
export interface Dealer {
  readonly holders: readonly NodeId[];
  /** Per holder: commitment to its b-share ‖ commitment to its s-share. */
  readonly commitments: ReadonlyMap<NodeId, Uint8Array>;
  readonly seedCommitment: Uint8Array;
}

/** One holder's unmask reply, aligned with the lists it was sent (an empty share where it has none). */
export interface HolderShares {
  readonly seedOf: readonly NodeId[];
  readonly seedShares: readonly Uint8Array[];
  readonly keyOf: readonly NodeId[];
  readonly keyShares: readonly Uint8Array[];
}

export interface RemoveMasksInput {
  readonly round: number;
  /** Σ of the survivors' masked inputs; the masks are removed in place. */
  readonly sum: Uint32Array;
  readonly threshold: number;
  readonly modulus: number;
  readonly hoods: ReadonlyMap<NodeId, readonly NodeId[]>;
  /** Nodes whose masked input is in the sum. */
  readonly survivors: ReadonlySet<NodeId>;
  /** Nodes that dealt shares (survivors and those that dropped after share-keys). */
  readonly shared: ReadonlySet<NodeId>;
  readonly dealers: ReadonlyMap<NodeId, Dealer>;
  /** Each node's advertised mask public key (pk1). */
  readonly maskKeys: ReadonlyMap<NodeId, Uint8Array>;
  /** For each dealer, the neighbours it was told to mask with (those whose shares it was sent). */
  readonly maskedWith: ReadonlyMap<NodeId, readonly NodeId[]>;
  readonly shares: ReadonlyMap<NodeId, HolderShares>;
  /** Called with a holder whose share does not match its dealer's commitment (the share is left out). */
  readonly onBadShare: (holder: NodeId, message: string) => void;
}

/** Holder's share point in owner's neighbourhood: 1 + its index (the lookup tables are built once per hood). */
function pointOf(hoods: ReadonlyMap<NodeId, readonly NodeId[]>, owner: NodeId, holder: NodeId): number {
  const hood = hoods.get(owner)!;
  let map = pointTables.get(hood);
  if (!map) {
    map = new Map(hood.map((id, i) => [id, i + 1]));
    pointTables.set(hood, map);
  }
  return map.get(holder)!;
}

const pointTables = new WeakMap<readonly NodeId[], Map<NodeId, number>>();

/**
 * The server's last step (Bonawitz et al. 2017, §4, "Unmasking"): rebuild each survivor's self-mask seed b
 * and each dropped dealer's mask-key seed s from t shares that match their dealer's commitments, check each
 * against what its dealer committed to (SHA-256(b), or the public key s must derive), and take PRG(b) and the
 * dropped nodes' pairwise masks out of the sum. The count slot must then read the number of survivors.
 */
export function removeMasks(input: RemoveMasksInput): void {
  const { round, sum, threshold: t, modulus, hoods, survivors } = input;
  // Shares as they came back, by owner; each is checked against its commitment only when it is used.
  const received = new Map<NodeId, { holder: NodeId; kind: "b" | "s"; bytes: Uint8Array; x: number }[]>();
  for (const [holder, s] of input.shares) {
    const add = (owner: NodeId, kind: "b" | "s", bytes: Uint8Array): void => {
      if (bytes.length === 0) return;
      const list = received.get(owner) ?? [];
      list.push({ holder, kind, bytes, x: pointOf(hoods, owner, holder) });
      received.set(owner, list);
    };
    s.seedOf.forEach((owner, i) => {
      add(owner, "b", s.seedShares[i]!);
    });
    s.keyOf.forEach((owner, i) => {
      add(owner, "s", s.keyShares[i]!);
    });
  }
  const matches = (owner: NodeId, share: { holder: NodeId; kind: "b" | "s"; bytes: Uint8Array }): boolean => {
    const commitment = input.dealers.get(owner)?.commitments.get(share.holder);
    const offset = share.kind === "b" ? 0 : SHARE_COMMITMENT_BYTES;
    return (
      commitment !== undefined &&
      bytesEqual(
        commitment.subarray(offset, offset + SHARE_COMMITMENT_BYTES),
        shareCommitment(round, owner, share.holder, share.kind, share.bytes),
      )
    );
  };
  /**
   * The secret from the t good shares at the lowest points (with few dropouts every owner then uses the
   * same points, whose Lagrange coefficients are computed once and cached). Shares are checked in that
   * order until t pass, so every share used is verified and every bad one met is reported.
   */
  const recover = (owner: NodeId, what: string): Uint8Array => {
    const candidates = [...(received.get(owner) ?? [])].sort((a, b) => a.x - b.x);
    const good: Share[] = [];
    for (const share of candidates) {
      if (good.length === t) break;
      if (matches(owner, share)) {
        good.push({ x: share.x, y: bytesToField(share.bytes) });
      } else {
        input.onBadShare(
          share.holder,
          `node ${share.holder} sent a share of node ${owner}'s ${share.kind === "b" ? "self-mask seed" : "mask key"} that does not match node ${owner}'s commitment`,
        );
      }
    }
    if (good.length < t) {
      throw new ProtocolError(
        "FL_SECAGG_TOO_MANY_DROPOUTS",
        `only ${good.length} good shares of node ${owner}'s ${what} came back; ${t} are needed (${input.shares.size} nodes answered the unmask stage)`,
        {
          hint: "too many of its neighbours dropped or sent bad shares",
          details: { round, stage: "unmask", node: owner },
        },
      );
    }
    return fieldToBytes(combineShares(good));
  };
  const badDealer = (owner: NodeId, what: string): ProtocolError =>
    new ProtocolError("FL_SECAGG_BAD_DEALER", `node ${owner}'s shares do not reconstruct ${what}`, {
      hint: `node ${owner} dealt inconsistent shares; leave it out of later rounds`,
    });

  for (const owner of survivors) {
    const seed = recover(owner, "self-mask seed");
    if (!bytesEqual(seedCommitment(round, owner, seed), input.dealers.get(owner)!.seedCommitment)) {
      throw badDealer(owner, "the self-mask seed it committed to");
    }
    subtractInto(sum, expandMask(hkdf(seed, selfMaskInfo(round, owner)), sum.length, modulus), modulus);
  }
  for (const owner of input.shared) {
    if (survivors.has(owner)) continue;
    const pair = keyPairFromSeed(recover(owner, "mask key"), maskKeyInfo(round, owner));
    if (!bytesEqual(pair.publicKey, input.maskKeys.get(owner)!)) {
      throw badDealer(owner, "the mask key of its public key");
    }
    for (const peer of input.maskedWith.get(owner) ?? []) {
      if (!survivors.has(peer)) continue;
      const key = agreeKey(
        pair.privateKey,
        publicKeyObject(input.maskKeys.get(peer)!),
        pairInfo("mask", round, owner, peer),
      );
      const mask = expandMask(key, sum.length, modulus);
      // The survivor added the mask when its id is the larger; take it back out.
      if (peer > owner) subtractInto(sum, mask, modulus);
      else addInto(sum, mask, modulus);
    }
  }
  if (sum[0] !== survivors.size % modulus) {
    throw new ProtocolError(
      "FL_SECAGG_BAD_SUM",
      `the masks did not cancel: the count slot reads ${sum[0]}, not ${survivors.size}`,
      { hint: "a node masked with a key other than the one it shared; the round's sum is discarded" },
    );
  }
}
