import type { ArtifactStore, Repositories, Submission } from "@flock/store";
import { deltaCosine, loraWeightDelta, NEAR_DUPLICATE_COSINE } from "./weightDelta.ts";

/**
 * The earliest earlier submission of another trainer of the task (accepted, or replaced by its trainer's
 * later commit: its work is still someone else's) whose LoRA weight delta has cosine similarity ≥ 0.995 with
 * this artifact's (SPEC §2.1 near-identical copy), with the similarity; undefined when none is, or when the
 * artifact is not a LoRA safetensors file (validators then judge it). Every page of the task is read.
 */
export async function findNearDuplicate(
  repos: Repositories,
  artifacts: ArtifactStore,
  submission: Submission,
  artifactId: string,
): Promise<{ original: Submission; cosine: number } | undefined> {
  const delta = loraWeightDelta(await artifacts.read(artifactId));
  if (delta === undefined) return undefined;
  const earlier = await repos.submissions.listAll({
    taskId: submission.taskId,
    status: ["accepted", "replaced"],
  });
  for (const candidate of earlier) {
    if (candidate.id >= submission.id || candidate.artifactId === null) continue;
    if (candidate.trainer === submission.trainer) continue;
    const other = loraWeightDelta(await artifacts.read(candidate.artifactId));
    if (other === undefined) continue;
    const cosine = deltaCosine(delta, other);
    if (cosine >= NEAR_DUPLICATE_COSINE) return { original: candidate, cosine };
  }
  return undefined;
}
