/**
 * A training worker thread of the simulator's pool: trains the clients it is sent, one at a time, with its
 * own compiled trainers. Messages in: `{ id, job }`; out: `{ ready: true }` once loaded, then `{ id, outcome }` (params
 * transferred) or `{ id, error: { code, message } }`.
 */
import { parentPort } from "node:worker_threads";
import { ClientTrainer, type TrainJob } from "./clientTraining.ts";

const port = parentPort;
if (!port) throw new Error("trainWorker.ts runs as a worker thread");
const trainer = new ClientTrainer();
let queue: Promise<void> = Promise.resolve();
// Loaded (the engine and ONNX Runtime imported): the pool may start its clock.
port.postMessage({ ready: true });

port.on("message", (message: { id: number; job: TrainJob }) => {
  // One client at a time: the trainer's buffers are shared by the jobs of this thread.
  queue = queue.then(async () => {
    try {
      const outcome = await trainer.train(message.job);
      port.postMessage({ id: message.id, outcome }, [outcome.params.buffer as ArrayBuffer]);
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown };
      port.postMessage({
        id: message.id,
        error: {
          code: typeof e.code === "string" ? e.code : "FL_NODE_FAILED",
          message: typeof e.message === "string" ? e.message : String(error),
        },
      });
    }
  });
});
