import { type BatchDecoder, createRng, type Rng, sampleToken, type Tokenizer } from "@flock/engine";

/** One sequence to decode: the same options as the engine's `Generator.generate`. */
export interface SequenceRequest {
  prompt: readonly number[];
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop: readonly string[];
  /** Called with each new piece of text; while its promise is pending the sequence waits (back-pressure). */
  onText?: (delta: string) => unknown;
  signal?: AbortSignal;
}

export interface SequenceResult {
  ids: number[];
  text: string;
  finishReason: "stop" | "length" | "eos" | "abort";
}

interface Row {
  request: SequenceRequest;
  /** The next position to feed. */
  position: number;
  ids: number[];
  text: string;
  rng: Rng;
  /** A piece of text the client has not taken yet: the row sits out steps until it has. */
  pending: Promise<unknown> | undefined;
  resolve(result: SequenceResult): void;
  reject(error: unknown): void;
}

interface Waiting {
  request: SequenceRequest;
  resolve(result: SequenceResult): void;
  reject(error: unknown): void;
}

/** Give a sequence's last piece of text to its reader without waiting (its write starts synchronously). */
function handOver(request: SequenceRequest, delta: string): void {
  Promise.resolve(request.onText?.(delta)).catch(() => undefined);
}

/** Length of the longest suffix of `text` that is a proper prefix of `stop`. */
function overlap(text: string, stop: string): number {
  for (let n = Math.min(stop.length - 1, text.length); n > 0; n--)
    if (text.endsWith(stop.slice(0, n))) return n;
  return 0;
}

/**
 * Continuous batching (Orca, Yu et al. 2022; vLLM): every active sequence advances one token per batched
 * decode step; a new request takes a free row between two steps and a finished one leaves at once, so
 * requests never wait for a whole batch. Prompts are fed one token per step through the same graph. Each
 * sequence samples with its own seeded generator exactly as `Generator.generate` does, so its text does not
 * depend on which other requests share its steps.
 */
export class DecodeScheduler {
  readonly decoder: BatchDecoder;
  readonly tokenizer: Tokenizer;
  private readonly rows: Array<Row | undefined>;
  private readonly waiting: Waiting[] = [];
  private loop: Promise<void> | undefined;
  /** Batched steps run so far (for tests and benchmarks). */
  steps = 0;

  constructor(decoder: BatchDecoder, tokenizer: Tokenizer) {
    this.decoder = decoder;
    this.tokenizer = tokenizer;
    this.rows = Array.from({ length: decoder.rows }, () => undefined);
  }

  /** Sequences decoding now, and waiting for a free row. */
  load(): { active: number; waiting: number } {
    return { active: this.rows.filter((r) => r !== undefined).length, waiting: this.waiting.length };
  }

  /** Decode a sequence alongside the others; resolves when it finishes. */
  submit(request: SequenceRequest): Promise<SequenceResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.loop ??= this.run().finally(() => {
        this.loop = undefined;
      });
    });
  }

  private admit(): void {
    for (let r = 0; r < this.rows.length && this.waiting.length > 0; r++) {
      if (this.rows[r] !== undefined) continue;
      const next = this.waiting.shift()!;
      this.rows[r] = {
        ...next,
        position: 0,
        ids: [],
        text: "",
        rng: createRng(next.request.seed),
        pending: undefined,
      };
    }
  }

  private finish(r: number, finishReason: SequenceResult["finishReason"], text?: string): void {
    const row = this.rows[r]!;
    this.rows[r] = undefined;
    row.resolve({ ids: row.ids, text: text ?? row.text, finishReason });
  }

  private async run(): Promise<void> {
    const vocab = this.decoder.config.vocab_size;
    const eos = [this.tokenizer.specials.eos, this.tokenizer.specials.endOfTurn];
    while (this.waiting.length > 0 || this.rows.some((r) => r !== undefined)) {
      this.admit();
      for (const [r, row] of this.rows.entries()) {
        if (row?.request.signal?.aborted === true) this.finish(r, "abort");
      }
      const ready = this.rows.map((row) => row !== undefined && row.pending === undefined);
      if (!ready.some(Boolean)) {
        const pending = this.rows.flatMap((row) => (row?.pending === undefined ? [] : [row.pending]));
        if (pending.length > 0) await Promise.race(pending);
        continue;
      }
      // A free row or one waiting for its client is fed something harmless: token 0 at position 0 (free), or
      // its last token again at its own position (the same keys and values are written again).
      const tokens = this.rows.map((row) => {
        if (row === undefined) return 0;
        const p = row.pending === undefined ? row.position : row.position - 1;
        const prompt = row.request.prompt;
        return p < prompt.length ? prompt[p]! : row.ids[p - prompt.length]!;
      });
      const positions = this.rows.map((row) =>
        row === undefined ? 0 : row.pending === undefined ? row.position : row.position - 1,
      );
      let logits: Float32Array;
      try {
        logits = await this.decoder.step(tokens, positions);
      } catch (error) {
        for (const [r, row] of this.rows.entries()) {
          if (row === undefined) continue;
          this.rows[r] = undefined;
          row.reject(error);
        }
        for (const w of this.waiting.splice(0)) w.reject(error);
        return;
      }
      this.steps++;
      for (const [r, row] of this.rows.entries()) {
        if (row === undefined || !ready[r]) continue;
        const { request } = row;
        row.position++;
        // Still reading the prompt: the logits predict a prompt token, nothing to sample.
        if (row.position < request.prompt.length) continue;
        if (request.signal?.aborted === true) {
          this.finish(r, "abort");
          continue;
        }
        const next = sampleToken(
          logits.subarray(r * vocab, (r + 1) * vocab),
          { temperature: request.temperature, topP: request.topP },
          row.rng,
        );
        if (eos.includes(next)) {
          this.finish(r, "eos");
          continue;
        }
        row.ids.push(next);
        const full = this.tokenizer.decode(row.ids);
        const stop = request.stop.find((s) => full.endsWith(s));
        if (stop !== undefined) {
          const kept = full.slice(0, full.length - stop.length);
          const delta = kept.length > row.text.length ? kept.slice(row.text.length) : "";
          // The last piece is handed over before the result, which the caller follows with the end of stream.
          if (delta !== "") handOver(request, delta);
          this.finish(r, "stop", kept);
          continue;
        }
        if (row.ids.length === request.maxNewTokens) {
          const delta = full.length > row.text.length ? full.slice(row.text.length) : "";
          if (delta !== "") handOver(request, delta);
          this.finish(r, "length", full);
          continue;
        }
        // Hold back text that could be the start of a stop sequence; stream the rest.
        const held = Math.max(0, ...request.stop.map((s) => overlap(full, s)));
        const safe = full.slice(0, full.length - held).replace(/\uFFFD$/, "");
        if (safe.length > row.text.length) {
          const delta = safe.slice(row.text.length);
          row.text = safe;
          const sent = request.onText?.(delta);
          if (sent instanceof Promise) {
            row.pending = sent.then(
              () => {
                row.pending = undefined;
              },
              () => {
                row.pending = undefined;
              },
            );
          }
        }
      }
    }
  }
}
