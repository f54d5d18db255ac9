import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * All local state of one participant or embedded network lives in one folder (the "home"), so two homes
 * never interfere: tests and demos run side by side.
 */
export interface FlockHome {
  root: string;
  /** anvil state and the deployment manifest. */
  chainDir: string;
  /** PGlite data. */
  dbDir: string;
  /** Content-addressed artifact folder. */
  artifactsDir: string;
  /** Named private keys (`keys.json`). */
  keysFile: string;
  logsDir: string;
  /** Per-node state: checkpoints, trained artifacts, progress files. */
  nodesDir: string;
  /** Base models and datasets made once and reused. */
  modelsDir: string;
  /** Where a running `flock up` says how to reach it. */
  networkFile: string;
}

/** The home folder: `--home DIR`, else `FLOCK_HOME`, else `~/.flock`. */
export function resolveHomePath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== "") return resolve(option);
  const fromEnv = env.FLOCK_HOME;
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return join(homedir(), ".flock");
}

/** The layout of a home folder (nothing is created). */
export function homeLayout(root: string): FlockHome {
  return {
    root,
    chainDir: join(root, "chain"),
    dbDir: join(root, "db"),
    artifactsDir: join(root, "artifacts"),
    keysFile: join(root, "keys.json"),
    logsDir: join(root, "logs"),
    nodesDir: join(root, "nodes"),
    modelsDir: join(root, "models"),
    networkFile: join(root, "network.json"),
  };
}

/** Create the home's folders if missing and return its layout. */
export function ensureHome(root: string): FlockHome {
  const home = homeLayout(root);
  for (const dir of [
    home.root,
    home.chainDir,
    home.dbDir,
    home.artifactsDir,
    home.logsDir,
    home.nodesDir,
    home.modelsDir,
  ]) {
    mkdirSync(dir, { recursive: true });
  }
  return home;
}
