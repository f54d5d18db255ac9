import { FolderArtifactStore } from "@flock/store";
import type { FlockHome } from "../home.ts";

/** Public artifacts (base models, training sets) of a local network: the home's content-addressed folder. */
export function localArtifacts(home: FlockHome): FolderArtifactStore {
  return new FolderArtifactStore(home.artifactsDir);
}

/**
 * Publish public bytes for a task on a network this machine runs (`flock up` with the same home). The
 * coordinator has no public upload route for them yet, so they go straight into its artifact folder.
 */
export async function publishLocal(home: FlockHome, bytes: Uint8Array): Promise<string> {
  const stored = await localArtifacts(home).put(bytes, { maxBytes: bytes.length });
  return stored.id;
}

/** Read a public artifact of a local network by content id. */
export function readLocal(home: FlockHome): (id: string) => Promise<Uint8Array> {
  const store = localArtifacts(home);
  return (id) => store.read(id);
}
