// The type checker: a child process of kata that reads the learner's TypeScript and never runs it. For
// each request it answers twice:
//  - { syntax }: the files that do not parse, each with a code frame, from the JavaScript compiler's
//    parser alone (a few ms per file, so a grade can stop at once);
//  - { types }: the compiler's errors in the learner's files, with the kata's tsconfig (the nearest above
//    the kata folder: the learner's own, else the workspace's), from TypeScript 7's native compiler
//    (native-tsc.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import type * as TS from 'typescript';
import { nativeTypeCheck } from './native-tsc.js';
import { unavailable, type CheckRequest, type CheckerMessage, type SyntaxProblem } from './protocol.js';

const require = createRequire(import.meta.url);
const ts = require('typescript') as typeof TS;

/** A few lines around the error, the line itself marked and a caret under the column (as vitest prints). */
function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(0, line - 3);
  const to = Math.min(lines.length - 1, line + 1);
  const width = String(to + 1).length;
  const frame: string[] = [];
  for (let i = from; i <= to; i++) {
    const shown = lines[i].length > 100 ? `${lines[i].slice(0, 100)}…` : lines[i];
    frame.push(`${i === line ? '>' : ' '} ${String(i + 1).padStart(width)} | ${shown}`);
    if (i === line) frame.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.min(column, 100))}^`);
  }
  return frame.join('\n');
}

/** The first syntax error of each file, from the parser alone (no program, no declaration files). */
function syntaxProblems(dir: string, files: string[]): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const output = ts.transpileModule(text, { fileName: file, reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
    const error = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error && d.file && d.start !== undefined);
    if (!error) continue;
    const { line, character } = error.file!.getLineAndCharacterOfPosition(error.start!);
    problems.push({
      file: relative(dir, file),
      line: line + 1,
      column: character + 1,
      message: ts.flattenDiagnosticMessageText(error.messageText, '\n'),
      frame: codeFrame(text, line, character),
    });
  }
  return problems;
}

function handle(request: CheckRequest): void {
  const dir = resolve(request.dir);
  const files = request.files.map((file) => resolve(dir, file));
  const send = (message: CheckerMessage) => process.send?.(message);
  try {
    const syntax = syntaxProblems(dir, files);
    send({ id: request.id, syntax });
    if (syntax.length || !request.types) {
      send({ id: request.id, types: unavailable(syntax.length ? `${syntax[0].file} does not parse` : 'not asked for') });
      return;
    }
    send({ id: request.id, types: nativeTypeCheck(dir, ts.findConfigFile(dir, ts.sys.fileExists), files) });
  } catch (error) {
    send({ id: request.id, failed: (error as Error).message ?? String(error) });
  }
}

// Requests are handled one after another: each is synchronous work, and the latest edit is checked last.
process.on('message', (message: { check?: CheckRequest }) => {
  if (message?.check) handle(message.check);
});
// kata gone (stdin, whose other end only kata holds, ends): so is the checker.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('disconnect', () => process.exit(0));
