// The service's error bodies, for the suites of stages 5 and 6: one shape for every route, stage 2's.
import { expect } from 'vitest';

/** The `error` of a reply, after checking it has stage 2's shape: { error: { field?, message } }. */
export function errorOf(reply: { body: any; text: string }, what: string): { field?: unknown; message: string } {
  const error = reply.body?.error;
  expect(
    typeof error === 'object' && error !== null && !Array.isArray(error) && typeof error.message === 'string' && error.message.trim() !== '',
    `${what}: the body should be { "error": { "field": ..., "message": "<what is wrong>" } }, the shape of stage 2's errors, got ${reply.text.slice(0, 200)}`,
  ).toBe(true);
  return error;
}
