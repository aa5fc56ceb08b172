// The native compiler's output as the learner sees it: their files only, whole message chains, and a
// tsconfig the compiler cannot use reported as such (not as "no type errors").
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeTypeCheck, parseCompilerOutput } from '../../runner/typecheck/native-tsc.js';

describe('parseCompilerOutput', () => {
  const dir = '/work/ws/kata';
  const output = [
    "src/app.ts(3,7): error TS2322: Type '{ a: { b: number; }; }' is not assignable to type '{ a: { b: string; }; }'.",
    "  The types of 'a.b' are incompatible between these types.",
    "    Type 'number' is not assignable to type 'string'.",
    '../../runner/harness/index.ts(10,1): error TS2304: Cannot find name \'x\'.',
    'tests/app.test.ts(12,3): error TS2339: Property \'nope\' does not exist on type \'string\'.',
    '',
  ].join('\n');

  test("keeps the learner's files, with each message's whole chain", () => {
    const { errors, located } = parseCompilerOutput(output, dir, new Set([`${dir}/src/app.ts`, `${dir}/tests/app.test.ts`]));
    expect(located).toBe(3);
    expect(errors).toEqual([
      {
        file: 'src/app.ts',
        line: 3,
        column: 7,
        code: 'TS2322',
        message: "Type '{ a: { b: number; }; }' is not assignable to type '{ a: { b: string; }; }'.\n  The types of 'a.b' are incompatible between these types.\n    Type 'number' is not assignable to type 'string'.",
      },
      { file: 'tests/app.test.ts', line: 12, column: 3, code: 'TS2339', message: "Property 'nope' does not exist on type 'string'." },
    ]);
  });

  test('errors without a file are general (the configuration)', () => {
    const { errors, general } = parseCompilerOutput("error TS2688: Cannot find type definition file for 'node'.\n  The file is in the program because:\n", dir, new Set());
    expect(errors).toEqual([]);
    expect(general).toEqual(["TS2688: Cannot find type definition file for 'node'."]);
  });
});

describe('nativeTypeCheck', () => {
  test('finds a type error, and says when the tsconfig cannot be used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kata-native-tsc-'));
    writeFileSync(join(dir, 'a.ts'), "export const n: number = 'x';\n");
    const checked = nativeTypeCheck(dir, undefined, [join(dir, 'a.ts')]);
    // No @types/node above a temp folder: the defaults' `types: ['node']` cannot be met.
    expect(checked).toEqual({ graded: false, status: 'unavailable', errors: [], message: expect.stringContaining("TS2688: Cannot find type definition file for 'node'") });

    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, types: [] } }));
    expect(nativeTypeCheck(dir, join(dir, 'tsconfig.json'), [join(dir, 'a.ts')])).toEqual({
      graded: false,
      status: 'errors',
      errors: [{ file: 'a.ts', line: 1, column: 14, code: 'TS2322', message: "Type 'string' is not assignable to type 'number'." }],
    });
  });
});
