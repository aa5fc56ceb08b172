// The type checker: a child process of kata that reads the learner's TypeScript with the TypeScript
// compiler API and never runs it. For each request it answers twice:
//  - { syntax }: the files that do not parse, each with a code frame (a few ms per file);
//  - { types }: tsc's errors in the learner's files, with the kata's tsconfig (the nearest above the
//    kata folder: the learner's own, else the workspace's).
// One language service per kata folder stays warm (watch mode): the compiler's parsed declaration files
// (node, express, tfjs) are kept, so a check after an edit costs a fraction of the first.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import type * as TS from 'typescript';
import type { CheckRequest, CheckerMessage, SyntaxProblem } from './protocol.js';

const require = createRequire(import.meta.url);
const ts = require('typescript') as typeof TS;

/** What the workspace's tsconfig sets (core/workspace.ts), for a kata folder without any tsconfig. */
const defaults: TS.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  types: ['node'],
};

interface Service {
  service: TS.LanguageService;
  files: string[];
  texts: Map<string, { text: string; version: number }>;
}

const services = new Map<string, Service>();

function compilerOptions(dir: string): TS.CompilerOptions {
  const configFile = ts.findConfigFile(dir, ts.sys.fileExists);
  if (!configFile) return { ...defaults, noEmit: true };
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, dirname(configFile), undefined, configFile);
  return { ...parsed.options, noEmit: true };
}

/** The learner's file as it is now; its version changes with its content, so the service re-reads it. */
function refresh(entry: Service, file: string): void {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* removed: checked as empty */
  }
  const known = entry.texts.get(file);
  if (!known) entry.texts.set(file, { text, version: 1 });
  else if (known.text !== text) entry.texts.set(file, { text, version: known.version + 1 });
}

function serviceFor(dir: string, files: string[]): Service {
  let entry = services.get(dir);
  if (!entry) {
    const options = compilerOptions(dir);
    const created: Service = { files, texts: new Map(), service: undefined as unknown as TS.LanguageService };
    const host: TS.LanguageServiceHost = {
      getScriptFileNames: () => created.files,
      getScriptVersion: (file) => String(created.texts.get(file)?.version ?? 0),
      getScriptSnapshot: (file) => {
        const own = created.texts.get(file);
        if (own) return ts.ScriptSnapshot.fromString(own.text);
        const text = ts.sys.readFile(file);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => dir,
      getCompilationSettings: () => options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
    };
    created.service = ts.createLanguageService(host, ts.createDocumentRegistry());
    entry = created;
    services.set(dir, entry);
  }
  entry.files = files;
  for (const file of files) refresh(entry, file);
  return entry;
}

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

function typeErrors(dir: string, files: string[]) {
  const { service } = serviceFor(dir, files);
  const errors = [];
  for (const file of files) {
    const diagnostics = [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)];
    for (const d of diagnostics) {
      if (d.category !== ts.DiagnosticCategory.Error || !d.file || d.start === undefined) continue;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      errors.push({ file: relative(dir, d.file.fileName), line: line + 1, column: character + 1, code: `TS${d.code}`, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') });
    }
  }
  return errors;
}

function handle(request: CheckRequest): void {
  const dir = resolve(request.dir);
  const files = request.files.map((file) => resolve(dir, file));
  const send = (message: CheckerMessage) => process.send?.(message);
  try {
    const syntax = syntaxProblems(dir, files);
    send({ id: request.id, syntax });
    if (syntax.length || !request.types) {
      send({ id: request.id, types: { graded: false, status: 'unavailable', errors: [], message: syntax.length ? `${syntax[0].file} does not parse` : 'not asked for' } });
      return;
    }
    const errors = typeErrors(dir, files);
    send({ id: request.id, types: { graded: false, status: errors.length ? 'errors' : 'ok', errors } });
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
