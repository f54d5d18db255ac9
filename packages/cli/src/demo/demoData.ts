import { type Conversation, generateInstructionDataset } from "@flock/engine";
import type { DemoSettings } from "./demoSettings.ts";
import { workedExamples } from "./pretrainingText.ts";

/** The user's question of a single-turn conversation. */
function questionOf(conversation: Conversation): string {
  return conversation.conversations.find((m) => m.role === "user")?.content ?? "";
}

/**
 * The demo task's public training set (seed 11) and hidden set (seed 12 + `round`). Some kinds have few
 * distinct questions (unit conversions), so independent draws repeat; a hidden question that also appears in
 * the training set or the base model's worked examples is skipped, so the hidden score measures answers to
 * questions no model saw. The coordinator refuses a hidden set any task used before (it is revealed for
 * audits), so each run of the demo on a home takes the next round's set.
 */
export function demoData(
  settings: DemoSettings,
  round = 0,
): { train: Conversation[]; hidden: Conversation[] } {
  const train = generateInstructionDataset({ seed: 11, count: settings.data.trainExamples }).map(
    (e) => e.conversation,
  );
  const seen = new Set([...train, ...workedExamples(settings.pretrain.workedExamples)].map(questionOf));
  const hidden = generateInstructionDataset({ seed: 12 + round, count: 2 * settings.data.hiddenExamples })
    .map((e) => e.conversation)
    .filter((c) => !seen.has(questionOf(c)))
    .slice(0, settings.data.hiddenExamples);
  return { train, hidden };
}
