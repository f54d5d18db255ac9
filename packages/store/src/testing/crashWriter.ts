// A child process for the crash test: opens the database in argv[2], then commits tasks one by one,
// printing each id once its transaction has committed, until it is killed.
import { openDatabase } from "../database.ts";
import { withTransaction } from "../repositories.ts";
import { newTask } from "./fixtures.ts";

const database = await openDatabase({ dataDir: process.argv[2]! });
for (let i = 0; ; i++) {
  const id = await withTransaction(database.db, async (repos) => {
    const task = await repos.tasks.create(newTask({ title: `crash ${i}` }));
    await repos.events.append("task.created", { taskId: task.id });
    return task.id;
  });
  process.stdout.write(`${id}\n`);
}
