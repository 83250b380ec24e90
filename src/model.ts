// Shared vocabulary every layer may import (DESIGN §8): the shapes db/ returns and sync/ decides on.
// Nothing here imports anything of the project.

export type PassKind = "full" | "incremental";
/** How a pass segment ended, as bird.sync_passes.outcome records it. */
export type PassOutcome = "completed" | "interrupted" | "failed";
/** The createdAt order a listing returns runs in. */
export type ListOrder = "asc" | "desc";
