import { type Static, Type } from "typebox";
import { ContentId, DateTime } from "./primitives.ts";

/** A published artifact (SPEC §4): content-addressed, served to anyone. */
export const PublicArtifact = Type.Object(
  {
    id: ContentId,
    size: Type.Integer(),
    mediaType: Type.String(),
    publishedBy: Type.String(),
    createdAt: DateTime,
  },
  { $id: "PublicArtifact" },
);
export type PublicArtifact = Static<typeof PublicArtifact>;
