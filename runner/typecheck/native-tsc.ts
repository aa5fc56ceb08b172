// The type errors of the learner's files, from TypeScript 7's native compiler (the npm alias
// `typescript-7`, whose platform package holds a Go binary). It checks a kata folder in about a quarter
// of the CPU time the JavaScript compiler needs, which matters because the check runs beside grading on
// the learner's cores. It is run once per check, as `tsc -p` over a generated tsconfig that extends the
// kata's own (the nearest above the kata folder: the learner's, else the workspace's) and lists only the
// learner's files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { TypeCheck, TypeCheckError } from '../core/results.js';
import { workspaceCompilerOptions } from '../core/workspace.js';
import { unavailable } from './protocol.js';

const require = createRequire(import.meta.url);

/** The native compiler's executable, or why there is none on this platform. */
function findCompiler(): { exe: string } | { missing: string } {
  const platformPackage = `@typescript/typescript-${process.platform}-${process.arch}`;
  try {
    const fromAlias = createRequire(require.resolve('typescript-7/package.json'));
    const exe = join(dirname(fromAlias.resolve(`${platformPackage}/package.json`)), 'lib', process.platform === 'win32' ? 'tsc.exe' : 'tsc');
    if (existsSync(exe)) return { exe };
  } catch {
    /* not installed */
  }
  return { missing: `TypeScript 7's compiler for ${process.platform}-${process.arch} (${platformPackage}) is not installed: run npm install in the kata clone` };
}

/** Looked up once per checker process: watch mode checks after every save. */
let compiler: ReturnType<typeof findCompiler> | undefined;

/**
 * The generated tsconfig: beside the kata's own config (in its `.kata/` folder), because the compiler
 * resolves `types` and packages from the config's folder. One per kata folder, written atomically, since
 * `kata watch` and `kata test` may check the same folder at once.
 */
function checkConfig(dir: string, configFile: string | undefined, files: string[]): string {
  const folder = join(configFile ? dirname(configFile) : dir, '.kata');
  mkdirSync(folder, { recursive: true });
  const config = {
    ...(configFile ? { extends: configFile } : {}),
    // Without a tsconfig of its own, the folder is checked as the workspace's tsconfig would check it.
    compilerOptions: { ...(configFile ? {} : workspaceCompilerOptions), noEmit: true },
    files,
    include: [],
  };
  const path = join(folder, `typecheck-${basename(dir)}.json`);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`);
  renameSync(temporary, path);
  return path;
}

/** `file(line,col): error TS1234: message`, continued by indented lines (the rest of the message chain). */
const errorLine = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;

export function parseCompilerOutput(output: string, dir: string, learnerFiles: Set<string>): { errors: TypeCheckError[]; general: string[]; located: number } {
  const errors: TypeCheckError[] = [];
  let located = 0;
  const general: string[] = [];
  let last: { message: string } | undefined;
  for (const line of output.split(/\r?\n/)) {
    const match = errorLine.exec(line);
    if (match) {
      located++;
      const [, file, row, column, code, message] = match;
      const absolute = resolve(dir, file);
      const error = { file: relative(dir, absolute), line: Number(row), column: Number(column), code, message };
      last = error;
      // Errors in other files (a package, the harness) are not the learner's to fix.
      if (learnerFiles.has(absolute)) errors.push(error);
    } else if (/^\s/.test(line) && last) {
      last.message += `\n${line.trimEnd()}`;
    } else if (/^error TS\d+:/.test(line)) {
      general.push(line.replace(/^error /, ''));
      last = undefined;
    }
  }
  return { errors, general, located };
}

/** Type-checks `files` (absolute) of the kata folder `dir` with `configFile` (or the workspace's options). */
export function nativeTypeCheck(dir: string, configFile: string | undefined, files: string[]): TypeCheck {
  compiler ??= findCompiler();
  if ('missing' in compiler) return unavailable(compiler.missing);
  const config = checkConfig(dir, configFile, files);
  const run = spawnSync(compiler.exe, ['-p', config, '--pretty', 'false'], { cwd: dir, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (run.error) return unavailable(`the TypeScript compiler did not run: ${run.error.message}`);
  if (run.signal) return unavailable(`the TypeScript compiler was stopped (${run.signal})`);
  const output = `${run.stdout}${run.stderr}`;
  const { errors, general, located } = parseCompilerOutput(output, dir, new Set(files));
  // A tsconfig the compiler cannot use (an unknown option, missing type packages) stops the check as a whole.
  if (!errors.length && general.length) return unavailable(`the kata's tsconfig cannot be used: ${general[0]}`);
  if (run.status !== 0 && !located && !general.length) return unavailable(`the TypeScript compiler ended with exit ${run.status}: ${output.trim().split('\n')[0]}`);
  return { graded: false, status: errors.length ? 'errors' : 'ok', errors };
}
