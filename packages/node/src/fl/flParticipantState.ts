import { NodeStateFile } from "../nodeState.ts";
import { type FlParticipantState, FlParticipantStateStore } from "./flParticipantStore.ts";

export type { FlParticipantState, StoredVote } from "./flParticipantStore.ts";

/**
 * The participant's state file for one task (JSON, replaced atomically after every answered message): the
 * Node backend of `FlParticipantStateStore`.
 */
export class FlParticipantStateFile extends FlParticipantStateStore {
  constructor(path: string, taskId: number, account: string) {
    super(
      {
        path,
        read: (initial) => new NodeStateFile<FlParticipantState>(path, initial).read(),
        write: (state) => new NodeStateFile<FlParticipantState>(path, () => state).write(state),
      },
      taskId,
      account,
    );
  }
}
