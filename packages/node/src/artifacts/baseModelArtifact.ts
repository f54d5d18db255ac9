/** The single-file base model format lives in `@flock/engine`, shared with the coordinator's referee. */
export { BASE_MODEL_FORMAT, type BaseModel, decodeBaseModel, encodeBaseModel } from "@flock/engine";
