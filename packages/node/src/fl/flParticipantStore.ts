import { StorageError } from "@flock/core";

/** A vote committed in a round and kept until its reveal (SPEC §2.2: votes by commit-reveal). */
export interface StoredVote {
  /** The vote-commit message it answers: a round played again sends a new one, and gets a new vote. */
  commitMessageId: number;
  /** The candidate's content id. */
  candidate: string;
  vote: 1 | -1;
  /** 0x + 64 lowercase hex: the secret the commitment hides the vote with. */
  salt: `0x${string}`;
  commitment: `0x${string}`;
  /** The voter's evaluation: candidateLoss, globalLoss and the rest of its metrics on its test data. */
  metrics: Record<string, number>;
  /** `contribution` pay rule: the loss of every model the round listed (content id → loss), committed too. */
  evaluations?: Record<string, number>;
  /** Whether the reveal was accepted. */
  revealed: boolean;
}

/** What a participant of one federated task remembers across restarts. */
export interface FlParticipantState {
  version: 1;
  taskId: number;
  /** The participant's lowercase address. */
  account: string;
  joined: boolean;
  /** Ids of messages already answered (kept to the last MAX_ANSWERED). */
  answered: number[];
  /** Votes by round, committed and not yet forgotten. */
  votes: Record<string, StoredVote>;
  /** The last round and stage answered (for progress after a restart). */
  lastRound: number;
}

/** Message ids remembered: far more than a round sends to one participant. */
const MAX_ANSWERED = 2000;
/** Rounds of votes kept after their reveal (older ones are of no use). */
const KEEP_VOTE_ROUNDS = 8;

/** Where a participant's state is kept: a file in Node, the page's storage in a browser. */
export interface FlParticipantStateBackend<State = FlParticipantState> {
  /** Where it is, for messages (a file path, a storage key). */
  readonly path: string;
  /** The stored state, or `initial()` when none is stored yet. */
  read(initial: () => State): Promise<State>;
  /** Replace the stored state at once (a crash leaves the old state or the new one). */
  write(state: State): Promise<void>;
}

/**
 * What a participant of one federated task remembers across restarts, written through after every answered
 * message, so a participant stopped at any moment restarts without answering a message twice and can still
 * reveal a vote it committed before the crash. The rules are here once; the backend decides where the state
 * lives (`FlParticipantStateFile` in Node, the page's storage in the browser client).
 */
export class FlParticipantStateStore {
  readonly #backend: FlParticipantStateBackend;
  readonly #taskId: number;
  readonly #account: string;
  #state: FlParticipantState | undefined;

  constructor(backend: FlParticipantStateBackend, taskId: number, account: string) {
    this.#backend = backend;
    this.#taskId = taskId;
    this.#account = account.toLowerCase();
  }

  get path(): string {
    return this.#backend.path;
  }

  /** The state (read once; a state of another task or account is refused). */
  async load(): Promise<FlParticipantState> {
    if (this.#state !== undefined) return this.#state;
    const state = await this.#backend.read(() => ({
      version: 1,
      taskId: this.#taskId,
      account: this.#account,
      joined: false,
      answered: [],
      votes: {},
      lastRound: 0,
    }));
    if (state.taskId !== this.#taskId || state.account !== this.#account) {
      throw new StorageError(
        "FL_STATE_MISMATCH",
        `the state file ${this.path} belongs to task ${state.taskId} and ${state.account}, not task ${this.#taskId} and ${this.#account}`,
        { hint: "give each task and account its own state file" },
      );
    }
    this.#state = state;
    return state;
  }

  async isAnswered(messageId: number): Promise<boolean> {
    return (await this.load()).answered.includes(messageId);
  }

  async markJoined(): Promise<void> {
    const state = await this.load();
    state.joined = true;
    await this.#backend.write(state);
  }

  /** Record an answered message (and the round it belonged to). */
  async markAnswered(messageId: number, round: number): Promise<void> {
    const state = await this.load();
    if (!state.answered.includes(messageId)) state.answered.push(messageId);
    if (state.answered.length > MAX_ANSWERED) state.answered.splice(0, state.answered.length - MAX_ANSWERED);
    state.lastRound = Math.max(state.lastRound, round);
    await this.#backend.write(state);
  }

  async vote(round: number): Promise<StoredVote | undefined> {
    return (await this.load()).votes[String(round)];
  }

  /** Keep a committed vote before its commitment is sent: a restart reveals this one, never a new draw. */
  async storeVote(round: number, vote: StoredVote): Promise<void> {
    const state = await this.load();
    state.votes[String(round)] = vote;
    for (const key of Object.keys(state.votes)) {
      if (Number(key) < round - KEEP_VOTE_ROUNDS && state.votes[key]!.revealed) delete state.votes[key];
    }
    await this.#backend.write(state);
  }

  async markRevealed(round: number): Promise<void> {
    const state = await this.load();
    const stored = state.votes[String(round)];
    if (stored !== undefined) {
      stored.revealed = true;
      await this.#backend.write(state);
    }
  }
}

/** A backend that keeps the state in memory only (a participant that need not survive a restart). */
export function memoryFlParticipantState(path = "memory"): FlParticipantStateBackend {
  let stored: FlParticipantState | undefined;
  return {
    path,
    read: async (initial) => structuredClone(stored ?? initial()),
    write: async (state) => {
      stored = structuredClone(state);
    },
  };
}
