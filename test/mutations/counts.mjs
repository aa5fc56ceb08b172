// How a mutation report's counts (mutants per Stryker status) become a score: one place for the kata
// mutation run, its survivors' recheck and the summary.

/** Statuses that count as the suite catching the mutant. A Timeout on a loaded machine may be a slow run, not proof. */
export const detected = new Set(['Killed', 'Timeout']);
/** Statuses of mutants that never ran as a program (they are left out of the score). */
export const invalid = new Set(['CompileError', 'RuntimeError', 'Ignored']);

/** The number of mutants whose status passes `keep`. */
export const countWhere = (counts, keep) => Object.entries(counts).filter(([status]) => keep(status)).reduce((n, [, c]) => n + c, 0);
export const validCount = (counts) => countWhere(counts, (s) => !invalid.has(s));
export const detectedCount = (counts) => countWhere(counts, (s) => detected.has(s));
/** A percentage with one decimal, as the reports keep it. */
export const percent = (part, whole) => (whole ? Math.round((part / whole) * 1000) / 10 : 0);
