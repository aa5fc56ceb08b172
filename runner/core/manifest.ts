// The kata.json schema (format version 1). Every field is documented here; katas/AUTHORING.md explains
// how authors use them.
// zod is only loaded when a manifest has changed since it was last validated (see catalog.ts).
import { z } from 'zod';
import { kataIdPattern } from './kata-id.js';

export const manifestSchema = z
  .object({
    /** Format version of this manifest. */
    formatVersion: z.literal(1),
    /** Folder name and the id learners type: lowercase words joined by dashes. */
    id: z.string().regex(kataIdPattern, 'must be lowercase words joined by dashes, e.g. flight-delays-api'),
    title: z.string().min(1),
    track: z.enum(['data', 'backend', 'ml']),
    difficulty: z.number().int().min(1).max(5),
    /** Position in the catalog; unique across all katas. */
    order: z.number().int().nonnegative(),
    /** Ids of katas that should be done first. */
    prerequisites: z.array(z.string()).default([]),
    /** One sentence shown by `kata list`. */
    summary: z.string().min(1),
    /** Shown one at a time by `kata hint`, from gentle to specific. */
    hints: z.array(z.string().trim().min(1, 'must not be empty')).min(1),
    /** Wall-clock limit for one grading run, visible and hidden tests together. */
    timeLimitMs: z.number().int().min(1000).max(600_000),
    /** The files the learner edits (relative to the kata folder); `kata solution` shows these. */
    files: z.array(z.string().min(1)).min(1),
    /** For ML katas: the metric the hidden suite grades on, shown by the reporter. */
    metric: z.object({ name: z.string(), threshold: z.number(), higherIsBetter: z.boolean() }).optional(),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;

/** Every problem in a manifest as `field: message`, so authors fix them all in one pass. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}
