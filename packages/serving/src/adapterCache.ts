import { ValidationError } from "@flock/core";
import type { RowAdapter } from "@flock/engine";

/** What the adapter cache holds and has done, for operators, tests and the benchmark. */
export interface AdapterCacheStats {
  /** Loaded adapters' keys, least recently used first. */
  resident: string[];
  /** Bytes the resident adapters hold. */
  bytes: number;
  loads: number;
  hits: number;
  evictions: number;
  /** Evicted keys, oldest eviction first (the last 64). */
  evicted: string[];
}

export interface AdapterCacheLimits {
  /** Adapters kept loaded at most (default 8). */
  maxAdapters?: number;
  /** Bytes of adapter weights kept loaded at most (default: no limit). */
  maxBytes?: number;
}

interface Slot {
  adapter: Promise<RowAdapter>;
  bytes: number;
}

/**
 * LoRA adapters loaded by key on first use and kept while they fit: beyond `maxAdapters` adapters or
 * `maxBytes` bytes the least recently used are evicted (the one just loaded is always kept). Evicting only
 * drops the cache's reference: a sequence decoding with an adapter holds a copy in its decoder row, so an
 * eviction never disturbs a running request; the next request for an evicted adapter loads it again.
 */
export class AdapterCache {
  readonly maxAdapters: number;
  readonly maxBytes: number;
  /** Insertion order is recency order: a hit moves the key to the end. */
  private readonly slots = new Map<string, Slot>();
  private loads = 0;
  private hits = 0;
  private evictions = 0;
  private readonly evicted: string[] = [];

  constructor(limits: AdapterCacheLimits = {}) {
    this.maxAdapters = limits.maxAdapters ?? 8;
    this.maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(this.maxAdapters) || this.maxAdapters < 1) {
      throw new ValidationError(
        "SERVING_CONFIG_INVALID",
        `serving.maxAdapters must be a positive integer, got ${limits.maxAdapters}`,
        { hint: "keep at least one adapter loaded, e.g. maxAdapters: 8" },
      );
    }
    if (!(this.maxBytes > 0)) {
      throw new ValidationError(
        "SERVING_CONFIG_INVALID",
        `serving.maxAdapterBytes must be positive, got ${limits.maxBytes}`,
        { hint: "leave it unset for no byte limit" },
      );
    }
  }

  /** The adapter under `key`, loaded with `load` unless resident; marks it most recently used. */
  get(key: string, load: () => Promise<RowAdapter>): Promise<RowAdapter> {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      this.hits++;
      this.slots.delete(key);
      this.slots.set(key, slot);
      return slot.adapter;
    }
    this.loads++;
    const loading: Slot = { adapter: load(), bytes: 0 };
    this.slots.set(key, loading);
    loading.adapter.then(
      (adapter) => {
        loading.bytes = adapter.bytes;
        this.evict(key);
      },
      // A failed load is tried again by the next request.
      () => {
        if (this.slots.get(key) === loading) this.slots.delete(key);
      },
    );
    return loading.adapter;
  }

  /** Drop `key` (a model whose adapter cannot be served from slots). */
  delete(key: string): void {
    this.slots.delete(key);
  }

  stats(): AdapterCacheStats {
    return {
      resident: [...this.slots.keys()],
      bytes: this.bytes(),
      loads: this.loads,
      hits: this.hits,
      evictions: this.evictions,
      evicted: [...this.evicted],
    };
  }

  private bytes(): number {
    let sum = 0;
    for (const slot of this.slots.values()) sum += slot.bytes;
    return sum;
  }

  /** Evict least recently used adapters until the limits hold, never `keep`. */
  private evict(keep: string): void {
    for (const key of [...this.slots.keys()]) {
      if (this.slots.size <= this.maxAdapters && this.bytes() <= this.maxBytes) return;
      if (key === keep) continue;
      this.slots.delete(key);
      this.evictions++;
      this.evicted.push(key);
      if (this.evicted.length > 64) this.evicted.shift();
    }
  }
}
