import { EngineError, ValidationError } from "@flock/core";
import type { DType, TensorData } from "./tensor.ts";

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the tensor bytes. Offsets are relative to the end of the header; the ranges must tile the data
 * section exactly (no gaps, no overlaps), which is what the reference Rust reader enforces too.
 */

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Headers above this size are refused before parsing (the reference implementation uses 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";

export interface SafetensorsFile {
  tensors: Record<string, TensorData>;
  metadata: Record<string, string>;
}

export interface ReadSafetensorsOptions {
  /** Refuse headers larger than this many bytes (default 100 MB). */
  maxHeaderBytes?: number;
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // safetensors is little-endian and we copy typed-array bytes as they are in memory.
  throw new EngineError("SAFETENSORS_BIG_ENDIAN_HOST", "safetensors I/O needs a little-endian host", {
    hint: "run the engine on a little-endian machine (x86-64, ARM64)",
  });
}

function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.hasOwn(DTYPE_BYTES, value);
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ValidationError(
      "SAFETENSORS_INVALID_SHAPE",
      `tensor "${name}" has shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers`,
      { hint: "fix the shape of this tensor where the file was written", details: { tensor: name } },
    );
  }
  return shape as number[];
}

/** Serialize tensors (sorted by name) and optional string metadata to safetensors bytes. */
export function writeSafetensors(
  tensors: Record<string, TensorData>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new ValidationError(
          "SAFETENSORS_METADATA_INVALID",
          `metadata "${key}" is a ${typeof value}; safetensors metadata values are strings`,
          { hint: "convert metadata values to strings (e.g. JSON.stringify) before writing" },
        );
      }
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY || name.length === 0) {
      throw new ValidationError("SAFETENSORS_INVALID_NAME", `"${name}" cannot be a tensor name`, {
        hint: "rename the tensor; the empty name and __metadata__ are reserved",
      });
    }
    const t = tensors[name]!;
    if (!isDType(t.dtype)) {
      throw new ValidationError(
        "SAFETENSORS_UNKNOWN_DTYPE",
        `tensor "${name}" has unknown dtype ${t.dtype}`,
        {
          hint: `use one of ${Object.keys(DTYPE_BYTES).join(", ")}`,
        },
      );
    }
    const shape = checkShape(name, t.shape);
    const expected = elementCount(shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new ValidationError(
        "SAFETENSORS_SIZE_MISMATCH",
        `tensor "${name}" (${t.dtype} [${shape.join(", ")}]) needs ${expected} bytes but its data has ${t.data.byteLength}`,
        { hint: "make the data length equal to the product of the shape times the dtype size" },
      );
    }
    header[name] = { dtype: t.dtype, shape, data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  const rawLength = new TextEncoder().encode(json).byteLength;
  json += " ".repeat((8 - (rawLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const name of names) {
    const data = tensors[name]!.data;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

function typedArrayOf(dtype: DType, bytes: Uint8Array): TensorData["data"] {
  // Copy into a fresh, aligned buffer so the result owns its memory and typed views are legal.
  const buf = bytes.slice().buffer;
  switch (dtype) {
    case "F64":
      return new Float64Array(buf);
    case "F32":
      return new Float32Array(buf);
    case "F16":
    case "BF16":
      return new Uint16Array(buf);
    case "I64":
      return new BigInt64Array(buf);
    case "I32":
      return new Int32Array(buf);
    case "I16":
      return new Int16Array(buf);
    case "I8":
      return new Int8Array(buf);
    case "U8":
    case "BOOL":
      return new Uint8Array(buf);
    default:
      return dtype satisfies never;
  }
}

function fail(code: string, message: string, hint: string, details?: Record<string, unknown>): never {
  throw new ValidationError(code, message, { hint, ...(details === undefined ? {} : { details }) });
}

/** Parse and validate safetensors bytes; every malformation raises a ValidationError with a stable code. */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const maxHeader = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const notSafetensors = "check that this file is a complete safetensors file (re-download or re-export it)";
  if (bytes.byteLength < 8) {
    fail(
      "SAFETENSORS_TRUNCATED",
      `file has ${bytes.byteLength} bytes, fewer than the 8-byte header length`,
      notSafetensors,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(maxHeader)) {
    fail(
      "SAFETENSORS_HEADER_TOO_LARGE",
      `header length ${headerLength} exceeds the limit of ${maxHeader} bytes`,
      "this is not a safetensors file or it is corrupt; raise maxHeaderBytes only for a trusted file",
    );
  }
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) {
    fail(
      "SAFETENSORS_HEADER_OUT_OF_RANGE",
      `header length ${n} runs past the end of the ${bytes.byteLength}-byte file`,
      notSafetensors,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (cause) {
    throw new ValidationError(
      "SAFETENSORS_HEADER_INVALID_JSON",
      "safetensors header is not valid UTF-8 JSON",
      {
        hint: notSafetensors,
        cause,
      },
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("SAFETENSORS_HEADER_INVALID_JSON", "safetensors header is not a JSON object", notSafetensors);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        fail("SAFETENSORS_METADATA_INVALID", "__metadata__ is not an object of strings", notSafetensors);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") {
          fail("SAFETENSORS_METADATA_INVALID", `__metadata__.${k} is not a string`, notSafetensors);
        }
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== "object" || raw === null) {
      fail("SAFETENSORS_INVALID_ENTRY", `header entry "${name}" is not an object`, notSafetensors, {
        tensor: name,
      });
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDType(entry.dtype)) {
      fail(
        "SAFETENSORS_UNKNOWN_DTYPE",
        `tensor "${name}" has dtype ${JSON.stringify(entry.dtype)}, which the engine does not know`,
        `convert the tensor to one of ${Object.keys(DTYPE_BYTES).join(", ")}`,
        { tensor: name },
      );
    }
    const shape = checkShape(name, entry.shape);
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(
        "SAFETENSORS_INVALID_OFFSETS",
        `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] integers with begin ≤ end`,
        notSafetensors,
        { tensor: name },
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      fail(
        "SAFETENSORS_OFFSET_OUT_OF_RANGE",
        `tensor "${name}" ends at byte ${end} but the data section has only ${dataLength} bytes`,
        notSafetensors,
        { tensor: name },
      );
    }
    const expected = elementCount(shape) * DTYPE_BYTES[entry.dtype];
    if (end - begin !== expected) {
      fail(
        "SAFETENSORS_SIZE_MISMATCH",
        `tensor "${name}" (${entry.dtype} [${shape.join(", ")}]) needs ${expected} bytes but its range holds ${end - begin}`,
        notSafetensors,
        { tensor: name },
      );
    }
    entries.push({ name, dtype: entry.dtype, shape, begin, end });
  }
  // The ranges, sorted by start, must tile [0, dataLength) exactly.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = "";
  for (const e of byOffset) {
    if (e.begin < cursor) {
      fail(
        "SAFETENSORS_OVERLAPPING_TENSORS",
        `tensor "${e.name}" starts at byte ${e.begin}, inside tensor "${previous}" (which ends at ${cursor})`,
        notSafetensors,
        { tensor: e.name, other: previous },
      );
    }
    if (e.begin > cursor) {
      fail(
        "SAFETENSORS_NON_CONTIGUOUS",
        `bytes ${cursor}..${e.begin} of the data section belong to no tensor (gap before "${e.name}")`,
        notSafetensors,
        { tensor: e.name },
      );
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLength) {
    fail(
      "SAFETENSORS_NON_CONTIGUOUS",
      `the data section has ${dataLength} bytes but the tensors cover only ${cursor}`,
      notSafetensors,
    );
  }
  const tensors: Record<string, TensorData> = {};
  for (const e of entries) {
    tensors[e.name] = {
      dtype: e.dtype,
      shape: e.shape,
      data: typedArrayOf(e.dtype, bytes.subarray(dataStart + e.begin, dataStart + e.end)),
    };
  }
  return { tensors, metadata };
}
