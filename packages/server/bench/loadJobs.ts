/** One HTTP request the load client sends (headers pre-signed where the route needs a signature). */
export interface PlannedRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What the load client is asked to do, in its own thread, over real HTTP. */
export type LoadJob =
  | {
      /** Cycle through `requests` from `concurrency` clients: `warmupMs` untimed, then `durationMs` timed. */
      kind: "timed";
      baseUrl: string;
      requests: PlannedRequest[];
      concurrency: number;
      warmupMs: number;
      durationMs: number;
    }
  | {
      /** Send each request once from `concurrency` clients; the first `warmup` of them are not timed. */
      kind: "once";
      baseUrl: string;
      requests: PlannedRequest[];
      concurrency: number;
      warmup: number;
    }
  | {
      /**
       * Publish `warmup + count` artifacts of `size` bytes one after another (PUT /artifacts/:id), each
       * different (its first bytes number it), signed by `privateKey` at `timestamp`; only the requests are
       * timed, not making and hashing the bytes.
       */
      kind: "upload";
      baseUrl: string;
      privateKey: `0x${string}`;
      chainId: number;
      timestamp: number;
      size: number;
      seed: number;
      warmup: number;
      count: number;
    }
  | {
      /** Download `path` `warmup + count` times one after another, reading every byte. */
      kind: "download";
      baseUrl: string;
      path: string;
      size: number;
      warmup: number;
      count: number;
    };

/** Timings of the measured requests. */
export interface LoadResult {
  /** Wall time of the measured part. */
  seconds: number;
  /** Each measured request's latency. */
  latenciesMs: number[];
  /** Responses by status code, measured part and warm-up together. */
  statuses: Record<string, number>;
  /** For uploads: the content ids published (the last one is downloaded next). */
  ids?: string[];
}
