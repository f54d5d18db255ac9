import { generatePrivateKey } from "viem/accounts";
import { manualClock } from "../src/testing/testApp.ts";
import { type BenchApp, openBenchApp } from "./benchApp.ts";
import { T0 } from "./coordinatorSections.ts";
import type { LoadClient } from "./loadClient.ts";
import { started } from "./resources.ts";
import { log, quantile, rate, round } from "./stats.ts";

const MIB = 2 ** 20;
const ROUNDS = 4;
const SIZES = [
  { label: "1MiB", size: MIB, warmup: 3, uploadsPerRound: 5, downloadsPerRound: 8 },
  { label: "64MiB", size: 64 * MIB, warmup: 1, uploadsPerRound: 2, downloadsPerRound: 2 },
] as const;

export type ArtifactSize = (typeof SIZES)[number]["label"];

/** Throughput of one artifact size on one store, from the median request (MB = 10⁶ bytes). */
export interface Transfer {
  uploadMBps: number;
  downloadMBps: number;
  uploadMedianMs: number;
  uploadP95Ms: number;
  downloadMedianMs: number;
  downloadP95Ms: number;
  uploads: number;
  downloads: number;
}

/**
 * Section 3: a PGlite coordinator in front of each artifact store, all open at once. Rounds take the stores in
 * turn, so each gets the same chances of a quiet moment on a shared machine; every upload is new content
 * (storing known content is a no-op), every download reads a whole artifact of that round.
 */
export async function benchArtifacts(
  stores: readonly { name: string; location: string | undefined }[],
  client: LoadClient,
): Promise<Record<string, Record<ArtifactSize, Transfer>>> {
  const clock = manualClock(T0);
  const apps: { name: string; t: BenchApp }[] = [];
  const stops: (() => Promise<void>)[] = [];
  for (const store of stores) {
    const t = await openBenchApp({
      database: { kind: "pglite" },
      clock,
      ...(store.location === undefined ? {} : { artifacts: store.location }),
    });
    stops.push(started(`coordinator with the ${store.name} store`, () => t.dispose()));
    apps.push({ name: store.name, t });
  }
  const publisher = generatePrivateKey();
  const figures: Record<string, Record<ArtifactSize, Transfer>> = {};
  for (const { name } of apps) figures[name] = {} as Record<ArtifactSize, Transfer>;
  for (const spec of SIZES) {
    log(`[artifacts] ${spec.label}: ${ROUNDS} rounds over ${apps.map((a) => a.name).join(", ")}`);
    const latencies = new Map(apps.map((a) => [a.name, { up: [] as number[], down: [] as number[] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name, t } of apps) {
        const warmup = round === 0 ? spec.warmup : 0;
        const up = await client.run({
          kind: "upload",
          baseUrl: t.baseUrl,
          privateKey: publisher,
          chainId: t.chainId,
          timestamp: Math.floor(clock.now().getTime() / 1000),
          size: spec.size,
          seed: spec.size + round,
          warmup,
          count: spec.uploadsPerRound,
        });
        rate(up, 201, `${name} ${spec.label} uploads`);
        const down = await client.run({
          kind: "download",
          baseUrl: t.baseUrl,
          path: `/artifacts/${up.ids!.at(-1)!}`,
          size: spec.size,
          warmup,
          count: spec.downloadsPerRound,
        });
        rate(down, 200, `${name} ${spec.label} downloads`);
        latencies.get(name)!.up.push(...up.latenciesMs);
        latencies.get(name)!.down.push(...down.latenciesMs);
      }
    }
    for (const { name } of apps) {
      const { up, down } = latencies.get(name)!;
      const upMs = quantile(up, 0.5);
      const downMs = quantile(down, 0.5);
      figures[name]![spec.label] = {
        uploadMBps: round(spec.size / (upMs / 1000) / 1e6),
        downloadMBps: round(spec.size / (downMs / 1000) / 1e6),
        uploadMedianMs: round(upMs),
        uploadP95Ms: round(quantile(up, 0.95)),
        downloadMedianMs: round(downMs),
        downloadP95Ms: round(quantile(down, 0.95)),
        uploads: up.length,
        downloads: down.length,
      };
    }
  }
  for (const stop of stops.reverse()) await stop();
  return figures;
}
