// Expected failures: each carries a stable code, the exit code the CLI should end with, and a hint that
// names the exact next command. Only the entry point turns them into output and an exit code.

export const ExitCode = { ok: 0, failed: 1, usage: 2, internal: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type KataErrorCode =
  | 'UNKNOWN_KATA'
  | 'BAD_KATA_ID'
  | 'BAD_MANIFEST'
  | 'BAD_WORKSPACE'
  | 'WOULD_OVERWRITE'
  | 'NOT_IN_KATA'
  | 'NOT_STARTED'
  | 'NOT_DONE'
  | 'NO_MORE_HINTS'
  | 'PROGRESS_CORRUPT'
  | 'PROGRESS_TOO_NEW'
  | 'HIDDEN_SUITE_TAMPERED'
  | 'BAD_OPTION'
  | 'OUTSIDE_KATA'
  | 'RUNNER_TAMPERED'
  | 'CANNOT_WRITE'
  | 'PROGRESS_READ_ONLY'
  | 'STALE_BUILD'
  | 'INTERNAL';

const usageCodes = new Set<KataErrorCode>([
  'UNKNOWN_KATA', 'BAD_KATA_ID', 'BAD_MANIFEST', 'BAD_WORKSPACE', 'WOULD_OVERWRITE', 'NOT_IN_KATA',
  'NOT_STARTED', 'NOT_DONE', 'NO_MORE_HINTS', 'PROGRESS_CORRUPT', 'PROGRESS_TOO_NEW', 'BAD_OPTION',
  'OUTSIDE_KATA', 'RUNNER_TAMPERED', 'CANNOT_WRITE', 'PROGRESS_READ_ONLY', 'STALE_BUILD',
]);

export class KataError extends Error {
  readonly code: KataErrorCode;
  readonly hint?: string;
  readonly exitCode: ExitCode;

  constructor(message: string, options: { code: KataErrorCode; hint?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'KataError';
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = usageCodes.has(options.code) ? ExitCode.usage : ExitCode.internal;
  }
}
