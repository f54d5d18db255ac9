import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { StorageError } from "@flock/core";

/**
 * A daemon's progress as one JSON file, replaced atomically (temp file + rename) after every step, so a
 * daemon killed at any moment restarts from its last completed step.
 */
export class NodeStateFile<State> {
  readonly path: string;
  readonly #initial: () => State;

  constructor(path: string, initial: () => State) {
    this.path = path;
    this.#initial = initial;
  }

  async read(): Promise<State> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return this.#initial();
      throw error;
    }
    try {
      return JSON.parse(text) as State;
    } catch (cause) {
      throw new StorageError("NODE_STATE_CORRUPT", `the node state file ${this.path} is not valid JSON`, {
        hint: "move the file away to start this node's work over",
        cause,
      });
    }
  }

  async write(state: State): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp`;
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temp, this.path);
  }
}
