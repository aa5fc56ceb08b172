// The kata.json schema (format version 1). Every field is documented here; katas/AUTHORING.md explains
// how authors use them.
// zod is only loaded when a manifest has changed since it was last validated (see catalog.ts).
import { z } from 'zod';
import { kataIdPattern } from './kata-id.js';

const hints = z.array(z.string().trim().min(1, 'must not be empty')).min(1);
const files = z.array(z.string().min(1)).min(1);

/** A stage of a staged kata: its brief, suite, starter and reference live in stages/<n>-<id>/. */
export const stageSchema = z
  .object({
    /** Lowercase words joined by dashes; the stage's folder is stages/<n>-<id>/ (n counts from 1). */
    id: z.string().regex(kataIdPattern, 'must be lowercase words joined by dashes, e.g. ingest'),
    title: z.string().min(1),
    /** One sentence shown by `kata list` and when the stage is unlocked. */
    summary: z.string().min(1),
    /** The stage's hints, shown one at a time by `kata hint` while it is the current stage. */
    hints,
    /** The files this stage introduces (or asks to change); the graded files at stage n are those of 1..n. */
    files,
  })
  .strict();

export const manifestSchema = z
  .object({
    /** Format version of this manifest. */
    formatVersion: z.literal(1),
    /** Folder name and the id learners type: lowercase words joined by dashes. */
    id: z.string().regex(kataIdPattern, 'must be lowercase words joined by dashes, e.g. flight-delays-api'),
    title: z.string().min(1),
    /** project: a staged kata that builds one service over several stages. */
    track: z.enum(['data', 'backend', 'ml', 'project']),
    difficulty: z.number().int().min(1).max(5),
    /** Position in the catalog; unique across all katas. */
    order: z.number().int().nonnegative(),
    /** Ids of katas that should be done first. */
    prerequisites: z.array(z.string()).default([]),
    /** One sentence shown by `kata list`. */
    summary: z.string().min(1),
    /** Shown one at a time by `kata hint`, from gentle to specific (a staged kata has them per stage). */
    hints: hints.optional(),
    /** Wall-clock limit for one grading run, visible and hidden tests together (all stages run so far). */
    timeLimitMs: z.number().int().min(1000).max(600_000),
    /** The files the learner edits (relative to the kata folder); `kata solution` shows these. Per stage in a staged kata. */
    files: files.optional(),
    /** For ML katas: the metric the hidden suite grades on, shown by the reporter. */
    metric: z.object({ name: z.string(), threshold: z.number(), higherIsBetter: z.boolean() }).optional(),
    /** A staged kata: one learner folder that grows stage by stage (katas/AUTHORING.md, "Staged katas"). */
    stages: z.array(stageSchema).min(2).optional(),
  })
  .strict()
  .superRefine((manifest, ctx) => {
    for (const field of ['hints', 'files'] as const) {
      if (manifest.stages && manifest[field]) ctx.addIssue({ code: 'custom', path: [field], message: `a staged kata has its ${field} per stage: move them into "stages"` });
      if (!manifest.stages && !manifest[field]) ctx.addIssue({ code: 'custom', path: [field], message: 'is required' });
    }
    const ids = manifest.stages?.map((stage) => stage.id) ?? [];
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['stages', i, 'id'], message: `"${id}" is the id of stage ${ids.indexOf(id) + 1} too` });
    });
  })
  // A staged kata's files are those of all its stages; its hints are asked of its current stage.
  .transform(({ hints, files, ...rest }) => ({
    ...rest,
    hints: hints ?? [],
    files: files ?? [...new Set(rest.stages!.flatMap((stage) => stage.files))],
  }));

export type Stage = z.infer<typeof stageSchema>;

export type Manifest = z.output<typeof manifestSchema>;

/** Every problem in a manifest as `field: message`, so authors fix them all in one pass. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}
