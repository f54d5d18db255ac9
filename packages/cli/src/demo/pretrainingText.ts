import { type Conversation, generateCorpus, generateInstructionDataset } from "@flock/engine";

/** Seed of the worked examples: disjoint from the task's training (11) and hidden (12) sets. */
const WORKED_EXAMPLES_SEED = 5;

/** The instruction conversations the base model sees as plain text while pretraining. */
export function workedExamples(count: number): Conversation[] {
  return generateInstructionDataset({ seed: WORKED_EXAMPLES_SEED, count }).map((e) => e.conversation);
}

/**
 * The demo base model's pretraining text: generated stories with a plain-text worked example
 * (`Question: …\nAnswer: …`) after each of the first `workedExamples` stories. The stories alone hold no
 * digits and little punctuation; with tied embeddings a LoRA adapter cannot give those bytes useful
 * embeddings, so a story-only base stays above 5 bits/byte after fine-tuning (packages/cli README). A general
 * base model has seen numbers, dates and tables; it has not seen the chat template, its end-of-turn token
 * or the task's reply style, which fine-tuning teaches.
 */
export function pretrainingText(options: { corpusBytes: number; workedExamples: number }): string {
  const stories = generateCorpus({ seed: 7, bytes: options.corpusBytes }).split("\n\n");
  const worked = workedExamples(options.workedExamples).map((c) => {
    const [question, answer] = c.conversations;
    return `Question: ${question!.content}\nAnswer: ${answer!.content}`;
  });
  const parts: string[] = [];
  for (let i = 0; i < Math.max(stories.length, worked.length); i++) {
    if (i < stories.length) parts.push(stories[i]!);
    if (i < worked.length) parts.push(worked[i]!);
  }
  return parts.join("\n\n");
}
