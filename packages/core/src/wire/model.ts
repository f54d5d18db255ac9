import { type Static, Type } from "typebox";
import { Address, ContentId, DateTime, FixedPointScore, Nullable } from "./primitives.ts";

/**
 * Moonbase's model registry (SPEC §2.4): every accepted model — an Arena task's winner, a federated task's final
 * global model — registered automatically with its version, lineage, Hugging Face card and folder.
 */

export const MODEL_KINDS = ["arena-lora", "arena-full", "arena-tabular", "fl-global"] as const;
export const ModelKind = Type.Enum(MODEL_KINDS, { type: "string" });
export type ModelKind = Static<typeof ModelKind>;

/** One round of a federated task in a model's lineage. */
export const ModelLineageRound = Type.Object({
  round: Type.Integer(),
  status: Type.String(),
  proposers: Type.Array(Address),
  contributors: Type.Array(Address),
  voters: Type.Array(Address),
  /** `contribution` pay rule: each proposer's value (WAD fixed point). */
  contributions: Type.Optional(Type.Array(Type.Object({ account: Address, valueWad: FixedPointScore }))),
  model: Nullable(ContentId),
});

/** Where a model comes from: task, base model, trainers, validators' scores, FL rounds, datasets. */
export const ModelLineage = Type.Object({
  task: Type.Object({
    id: Type.Integer(),
    title: Type.String(),
    type: Type.String(),
    kind: Type.Enum(["arena", "federated"], { type: "string" }),
  }),
  baseModel: Type.String(),
  trainers: Type.Array(Address),
  /** The validators' revealed scores of the winning submission (fixed point, 1e18 = 1.0). */
  validators: Type.Array(Type.Object({ account: Address, score: FixedPointScore })),
  consensusScore: Type.Optional(FixedPointScore),
  submissionId: Type.Optional(Type.Integer()),
  rounds: Type.Optional(Type.Array(ModelLineageRound)),
  payRule: Type.Optional(Type.Enum(["stake", "contribution"], { type: "string" })),
  datasets: Type.Array(Type.String()),
});
export type ModelLineage = Static<typeof ModelLineage>;

/** A registered model version (`GET /models/:id`). */
export const Model = Type.Object(
  {
    id: Type.Integer(),
    /** `owner/slug`; with `@version` it names this version (`flock/lm-lora-x@2`). */
    name: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    kind: ModelKind,
    taskId: Type.Integer(),
    baseModel: Type.String(),
    /** Content id of the weights or the adapter (the single-file Flock artifact). */
    artifact: ContentId,
    license: Type.String(),
    metrics: Type.Record(Type.String(), Type.Number()),
    lineage: ModelLineage,
    createdAt: DateTime,
  },
  { $id: "Model" },
);
export type Model = Static<typeof Model>;

/** `GET /models`: each model's latest version, newest first (every version with `?versions=all`). */
export const Models = Type.Object({ items: Type.Array(Model) }, { $id: "Models" });
export type Models = Static<typeof Models>;

/** `GET /models/:id/files`: the model's Hugging Face folder. */
export const ModelFiles = Type.Object(
  {
    modelId: Type.Integer(),
    /** `peft-lora` (PEFT adapter), `llama` (transformers model), `tabular`, or `raw` (the artifact as is). */
    layout: Type.Enum(["peft-lora", "llama", "tabular", "raw"], { type: "string" }),
    files: Type.Array(Type.Object({ name: Type.String(), size: Type.Integer(), sha256: Type.String() })),
  },
  { $id: "ModelFiles" },
);
export type ModelFiles = Static<typeof ModelFiles>;
