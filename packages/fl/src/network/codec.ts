import { ValidationError } from "@flock/core";
import { readSafetensors, writeSafetensors } from "@flock/engine";
import type { Arrays } from "../arrays.ts";
import type { ExchangeBody } from "../messages.ts";

/**
 * How FL messages travel over HTTP: arrays as safetensors bytes (the order of the arrays kept in the
 * metadata, since safetensors sorts names), exchange bodies as JSON with byte arrays, typed vectors and
 * bigints tagged. The coordinator's network grid and every participant (Node or browser) use these, so a
 * message means the same on both ends.
 */

const ORDER_KEY = "flock.arrays.order";

/** Arrays (and optional string metadata, e.g. the model's config) as safetensors bytes. */
export function encodeArrays(arrays: Arrays, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: Parameters<typeof writeSafetensors>[0] = {};
  for (const [name, p] of arrays) tensors[name] = { dtype: "F32", shape: [...p.shape], data: p.data };
  return writeSafetensors(tensors, { ...metadata, [ORDER_KEY]: JSON.stringify([...arrays.keys()]) });
}

/** Safetensors bytes back into arrays in their original order, with the file's other metadata. */
export function decodeArrays(bytes: Uint8Array): { arrays: Arrays; metadata: Record<string, string> } {
  const file = readSafetensors(bytes);
  const { [ORDER_KEY]: orderText, ...metadata } = file.metadata;
  const names = Object.keys(file.tensors);
  let order = names.sort();
  if (orderText !== undefined) {
    const parsed: unknown = JSON.parse(orderText);
    const listed = Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === "string") : [];
    if (listed.length !== names.length || !listed.every((n) => n in file.tensors)) {
      throw new ValidationError(
        "FL_ARRAYS_MALFORMED",
        "the arrays' order does not name exactly their tensors",
        {
          hint: "encode arrays with encodeArrays",
        },
      );
    }
    order = listed;
  }
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of order) {
    const t = file.tensors[name]!;
    if (t.dtype !== "F32") {
      throw new ValidationError("FL_ARRAYS_MALFORMED", `array ${name} is ${t.dtype}, not F32`, {
        hint: "federated arrays are float32",
      });
    }
    arrays.set(name, { shape: t.shape, data: t.data as Float32Array });
  }
  return { arrays, metadata };
}

/** Node's Buffer where there is one (fast); a browser has none and uses btoa/atob. */
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) {
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  }
  let binary = "";
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new ValidationError("FL_BASE64_MALFORMED", "a value is not base64", {
      hint: "encode bytes as base64",
    });
  }
  if (NodeBuffer !== undefined) return new Uint8Array(NodeBuffer.from(text, "base64"));
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

type Tagged =
  | { $bytes: string }
  | { $u32: string }
  | { $f32: string }
  | { $f64: string }
  | { $bigint: string };

const VIEWS = {
  $u32: Uint32Array,
  $f32: Float32Array,
  $f64: Float64Array,
} as const;

/** An exchange body as plain JSON (byte arrays and typed vectors as tagged base64, bigints as decimals). */
export function encodeBody(body: ExchangeBody): Record<string, unknown> {
  return encodeValue(body, "body") as Record<string, unknown>;
}

function encodeValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new ValidationError("FL_BODY_UNENCODABLE", `${path} is ${value}, which JSON cannot carry`);
    }
    return value;
  }
  if (typeof value === "bigint") return { $bigint: value.toString() } satisfies Tagged;
  if (value instanceof Uint8Array) return { $bytes: toBase64(value) } satisfies Tagged;
  for (const [tag, View] of Object.entries(VIEWS)) {
    if (value instanceof View) {
      return { [tag]: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
    }
  }
  if (ArrayBuffer.isView(value)) {
    throw new ValidationError("FL_BODY_UNENCODABLE", `${path} is a ${value.constructor.name}`, {
      hint: "use Uint8Array, Uint32Array, Float32Array or Float64Array in exchange bodies",
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = encodeValue(v, `${path}.${k}`);
    }
    return out;
  }
  throw new ValidationError("FL_BODY_UNENCODABLE", `${path} is a ${typeof value}`);
}

/** The inverse of `encodeBody`. */
export function decodeBody(json: unknown): ExchangeBody {
  const value = decodeValue(json, "body");
  if (value === null || typeof value !== "object" || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ValidationError("FL_BODY_MALFORMED", "an exchange body is not a JSON object");
  }
  return value as ExchangeBody;
}

function decodeValue(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => decodeValue(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [tag, v] = entries[0]!;
    if (tag === "$bigint") {
      if (typeof v !== "string" || !/^-?[0-9]{1,80}$/.test(v)) {
        throw new ValidationError("FL_BODY_MALFORMED", `${path} is not a decimal bigint`);
      }
      return BigInt(v);
    }
    if (tag === "$bytes" || tag in VIEWS) {
      if (typeof v !== "string") throw new ValidationError("FL_BODY_MALFORMED", `${path} is not base64`);
      const bytes = fromBase64(v);
      if (tag === "$bytes") return bytes;
      const View = VIEWS[tag as keyof typeof VIEWS];
      if (bytes.byteLength % View.BYTES_PER_ELEMENT !== 0) {
        throw new ValidationError(
          "FL_BODY_MALFORMED",
          `${path} has ${bytes.byteLength} bytes, not whole elements`,
        );
      }
      const copy = new Uint8Array(bytes); // aligned
      return new View(copy.buffer, 0, copy.byteLength / View.BYTES_PER_ELEMENT);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = decodeValue(v, `${path}.${k}`);
  return out;
}
