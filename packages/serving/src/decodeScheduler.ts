import {
  type BatchDecoder,
  createRng,
  type Rng,
  type RowAdapter,
  sampleToken,
  type Tokenizer,
} from "@flock/engine";

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
  /** A LoRA adapter of the decoder's base, applied to this sequence's row only. */
  adapter?: RowAdapter;
}

export interface SequenceResult {
  ids: number[];
  text: string;
  finishReason: "stop" | "length" | "eos" | "abort";
}

interface Row {
  request: SequenceRequest;
  /** Prompt tokens read so far (chunked prefill); then the next position to feed. */
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
 * Continuous batching (Orca, Yu et al. 2022; vLLM): every decoding sequence advances one token per batched
 * decode step; a new request takes a free row between two steps and a finished one leaves at once, so
 * requests never wait for a whole batch. A new row's prompt is read in chunks (`decoder.prefillChunk` tokens a
 * call, one chunk per row between two decode steps: chunked prefill), so a long prompt does not stall the
 * rows already decoding. Each sequence samples with its own seeded generator exactly as `Generator.generate`
 * does, so its text does not depend on which other requests share its steps. A sequence with a LoRA adapter
 * has it in its row: sequences of different adapters of one base share the steps.
 */
export class DecodeScheduler {
  readonly decoder: BatchDecoder;
  readonly tokenizer: Tokenizer;
  private readonly rows: Array<Row | undefined>;
  private readonly waiting: Waiting[] = [];
  private loop: Promise<void> | undefined;
  /** Batched decode steps run so far (for tests and benchmarks). */
  steps = 0;
  /** Prefill calls run so far. */
  prefills = 0;

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

  private async admit(): Promise<void> {
    for (let r = 0; r < this.rows.length && this.waiting.length > 0; r++) {
      if (this.rows[r] !== undefined) continue;
      const next = this.waiting.shift()!;
      try {
        await this.decoder.setAdapter(r, next.request.adapter);
      } catch (error) {
        next.reject(error);
        r--;
        continue;
      }
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
    // A free row holds no adapter, so steps return to the base graph once no row has one.
    if (row.request.adapter !== undefined) void this.decoder.setAdapter(r, undefined);
    row.resolve({ ids: row.ids, text: text ?? row.text, finishReason });
  }

  private fail(error: unknown): void {
    for (const [r, row] of this.rows.entries()) {
      if (row === undefined) continue;
      this.rows[r] = undefined;
      row.reject(error);
    }
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  private prefilling(row: Row | undefined): row is Row {
    return row !== undefined && row.position < row.request.prompt.length;
  }

  private async run(): Promise<void> {
    const vocab = this.decoder.config.vocab_size;
    while (this.waiting.length > 0 || this.rows.some((r) => r !== undefined)) {
      await this.admit();
      for (const [r, row] of this.rows.entries()) {
        if (row?.request.signal?.aborted === true) this.finish(r, "abort");
      }
      // Chunked prefill: one chunk of every row still reading its prompt.
      try {
        for (const [r, row] of this.rows.entries()) {
          if (!this.prefilling(row)) continue;
          const prompt = row.request.prompt;
          const chunk = prompt.slice(row.position, row.position + this.decoder.prefillChunk);
          const logits = await this.decoder.prefill(r, chunk, row.position);
          this.prefills++;
          row.position += chunk.length;
          if (row.position === prompt.length) this.accept(r, logits);
        }
      } catch (error) {
        this.fail(error);
        return;
      }
      const ready = this.rows.map(
        (row) => row !== undefined && row.pending === undefined && !this.prefilling(row),
      );
      if (!ready.some(Boolean)) {
        if (this.rows.some((row) => this.prefilling(row))) continue;
        const pending = this.rows.flatMap((row) => (row?.pending === undefined ? [] : [row.pending]));
        if (pending.length > 0) await Promise.race(pending);
        continue;
      }
      // A decoding row feeds its last sampled token; the others are computed and dropped (not written).
      const tokens = this.rows.map((row, r) => (ready[r] ? row!.ids.at(-1)! : 0));
      const positions = this.rows.map((row, r) => (ready[r] ? row!.position : 0));
      let logits: Float32Array;
      try {
        logits = await this.decoder.step(tokens, positions, ready);
      } catch (error) {
        this.fail(error);
        return;
      }
      this.steps++;
      for (const [r, row] of this.rows.entries()) {
        if (row === undefined || !ready[r]) continue;
        row.position++;
        this.accept(r, logits.subarray(r * vocab, (r + 1) * vocab));
      }
    }
  }

  /** Sample row `r`'s next token from `logits`, stream its text, or finish the row. */
  private accept(r: number, logits: Float32Array): void {
    const row = this.rows[r]!;
    const { request } = row;
    if (request.signal?.aborted === true) {
      this.finish(r, "abort");
      return;
    }
    const eos = [this.tokenizer.specials.eos, this.tokenizer.specials.endOfTurn];
    const next = sampleToken(logits, { temperature: request.temperature, topP: request.topP }, row.rng);
    if (eos.includes(next)) {
      this.finish(r, "eos");
      return;
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
      return;
    }
    if (row.ids.length === request.maxNewTokens || row.position >= this.decoder.maxLen) {
      const delta = full.length > row.text.length ? full.slice(row.text.length) : "";
      if (delta !== "") handOver(request, delta);
      this.finish(r, "length", full);
      return;
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
