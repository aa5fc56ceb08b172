// npm run mutation:sql -- <kata id> [--stage n] [--concurrency n] [--list]
// Mutation testing of the SQL inside a kata's reference. Stryker mutates TypeScript, and an SQL string
// is one literal to it (all it can do is empty it), so a stage whose logic is SQL (delay-service stage 3)
// got a score over a handful of mutants. This mutates inside the SQL text: comparison operators, window
// frames, numbers, joins, COALESCE and CAST, aggregates. Each mutant is the reference with one change in
// one file, graded like a wrong/ entry (laid over the whole reference); a mutant the hidden suite passes is
// a survivor. The report, sql-mutation.json beside mutation.json, has the same shape (counts, survivors
// with reasons, kept across runs), so npm run mutation:summary lists it too. Needs npm run build first.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { findKata, loadCatalog } from '../../dist/runner/core/catalog.js';
import { atStage, referenceLayers } from '../../dist/runner/core/stages.js';
import { listFiles } from '../../dist/runner/core/workspace.js';
import { mutationArgs } from './args.mjs';
import { detectedCount, percent, validCount } from './counts.mjs';

const repo = join(import.meta.dirname, '..', '..');
const { id, stage, concurrency, flag } = mutationArgs(repo, 'usage: npm run mutation:sql -- <kata id> [--stage n] [--concurrency n] [--list]');
const base = findKata(await loadCatalog(join(repo, 'katas')), id, 'mutate');
const kata = base.stages ? atStage(base, stage) : base;
// The stage's own reference layer: the files it adds or changes are the ones mutated.
const layer = referenceLayers(kata).at(-1);
const reportFile = join(dirname(layer), 'sql-mutation.json');

const SQL = /\b(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|JOIN)\b/;
// SQLite's words for a statement it cannot prepare (a mutant that is not SQL any more).
const INVALID_SQL = /syntax error|incomplete input|no such column|misuse of (aggregate|window)|wrong number of arguments/;

/**
 * The text ranges of every string and template part that belongs to a literal holding SQL, each with
 * whether a substitution comes before or after it.
 */
function sqlRanges(text, file) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const ranges = [];
  const visit = (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (SQL.test(node.text)) ranges.push([node.getStart() + 1, node.end - 1, { before: false, after: false }]);
    } else if (ts.isTemplateExpression(node)) {
      const parts = [node.head, ...node.templateSpans.map((s) => s.literal)];
      if (SQL.test(parts.map((p) => p.text).join(' '))) {
        for (const part of parts) {
          // A head starts after ` and ends before ${; a middle or tail starts after }.
          const end = ts.isTemplateTail(part) ? part.end - 1 : part.end - 2;
          ranges.push([part.getStart() + 1, end, { before: part !== node.head, after: !ts.isTemplateTail(part) }]);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return ranges;
}

/** The argument list of the call whose "(" is at `open`: its top-level arguments and the index after ")". */
function argumentsAt(text, open) {
  const parts = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) {
      parts.push(text.slice(from, i));
      return { parts, end: i + 1 };
    } else if (text[i] === ',' && depth === 1) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  return undefined;
}

// Each rule finds places in an SQL text and says what each becomes. The rules are the mistakes an SQL
// author makes: an off-by-one bound, the wrong frame, a lost NULL default, integer division, an inner
// join that drops rows, an aggregate that counts instead of summing, a forgotten condition, a grouping or
// window partitioned by too few keys, an order without its tie-break, a conflict clause left out.
const swap = (pattern, to) => ({ find: (sql) => [...sql.matchAll(pattern)].map((m) => ({ at: m.index, length: m[0].length, with: to(m) })) });
const keepCase = (word, like) => (like === like.toLowerCase() ? word.toLowerCase() : word);
const rules = [
  swap(/>=/g, () => '>'),
  swap(/<=/g, () => '<'),
  swap(/(?<![<>!=])>(?!=)/g, () => '>='),
  swap(/(?<![<>!=])<(?![=>])/g, () => '<='),
  swap(/(?<=\s)=(?=\s)/g, () => '<>'),
  // A number, but not a constant select list (SELECT 1 is read for existence, never for its value).
  swap(/(?<![\w.%$']|SELECT )\d+(?![\w.'])/g, (m) => String(Number(m[0]) + 1)),
  swap(/(?<![\w.%$']|SELECT )\d+(?![\w.'])/g, (m) => String(Number(m[0]) - 1)),
  swap(/\b(RANGE|ROWS)\b/g, (m) => (m[0] === 'RANGE' ? 'ROWS' : 'RANGE')),
  swap(/\bPRECEDING\b/g, () => 'FOLLOWING'),
  swap(/(?<!LEFT )\bJOIN\b/g, () => 'LEFT JOIN'),
  swap(/\bLEFT JOIN\b/g, () => 'JOIN'),
  swap(/\bAND\b(?! \d+ PRECEDING)/g, () => 'OR'),
  swap(/\b(MIN|MAX)\(/gi, (m) => keepCase(m[1].toUpperCase() === 'MIN' ? 'MAX(' : 'MIN(', m[1])),
  swap(/\bSUM\(/gi, (m) => keepCase('COUNT(', m[0])),
  swap(/\bAVG\(/gi, (m) => keepCase('SUM(', m[0])),
  swap(/\bDISTINCT /g, () => ''),
  swap(/\b(ASC|DESC)\b/g, (m) => (m[0] === 'ASC' ? 'DESC' : 'ASC')),
  swap(/\bIS (NOT )?NULL\b/g, (m) => (m[1] ? 'IS NULL' : 'IS NOT NULL')),
  { ...swap(/'%w'/g, () => "'%u'"), inQuotes: true },
  swap(/\bINSERT OR (IGNORE|REPLACE)\b/g, () => 'INSERT'),
  swap(/\s+ON CONFLICT\b[^;]*?\bDO NOTHING\b/g, () => ''),
  {
    // COALESCE(x, d) → x
    find: (sql) => [...sql.matchAll(/\bCOALESCE\(/g)].flatMap((m) => {
      const call = argumentsAt(sql, m.index + m[0].length - 1);
      return call ? [{ at: m.index, length: call.end - m.index, with: call.parts[0].trim() }] : [];
    }),
  },
  {
    // CAST(x AS REAL) → x
    find: (sql) => [...sql.matchAll(/\bCAST\(/g)].flatMap((m) => {
      const call = argumentsAt(sql, m.index + m[0].length - 1);
      const inner = call?.parts.length === 1 ? /^(.*) AS REAL$/s.exec(call.parts[0].trim()) : null;
      return inner ? [{ at: m.index, length: call.end - m.index, with: inner[1] }] : [];
    }),
  },
  // WHERE a AND b → WHERE a, WHERE b; a lone condition of WHERE or HAVING goes with its keyword.
  { find: (sql, open) => dropPieces(sql, open, /\b(WHERE|HAVING|ON)(?! CONFLICT)\s+/g, 'AND', (keyword) => keyword !== 'ON') },
  // GROUP BY a, b → GROUP BY a; a lone PARTITION BY or GROUP BY key goes with its keyword.
  { find: (sql, open) => dropPieces(sql, open, /\b(GROUP BY|PARTITION BY|ORDER BY)\s+/g, ',', (keyword) => keyword !== 'ORDER BY') },
];

// What ends a clause at its own depth: the next clause, a frame, the statement's end.
const CLAUSE_END = /^(AND|OR|GROUP\s+BY|ORDER\s+BY|PARTITION\s+BY|HAVING|LIMIT|WINDOW|UNION|RETURNING|WHERE|FROM|SELECT|JOIN|LEFT|INNER|CROSS|ON|DO|SET|ROWS|RANGE|VALUES)\b/i;

/**
 * The top-level pieces of the clause that starts at `from`, split at `separator` ('AND' or ','), as
 * [start, end] pairs; a piece of an OR, or a BETWEEN's own AND, is not split.
 */
function piecesOf(sql, from, separator) {
  const pieces = [];
  let depth = 0;
  let start = from;
  let between = false;
  for (let i = from; ; i++) {
    const c = sql[i];
    if (i >= sql.length || c === ';' || (c === ')' && depth === 0)) return [...pieces, [start, i]];
    if (c === "'") {
      i = sql.indexOf("'", i + 1);
      if (i < 0) return [...pieces, [start, sql.length]];
      continue;
    }
    if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1;
      continue;
    }
    if (depth > 0) continue;
    if (separator === ',' && c === ',') {
      pieces.push([start, i]);
      start = i + 1;
      continue;
    }
    if (/[\w@$:.]/.test(sql[i - 1] ?? ' ')) continue; // inside a word, a parameter (@from) or a column (t.from)
    const rest = sql.slice(i, i + 16);
    if (/^BETWEEN\b/i.test(rest)) between = true;
    if (separator === 'AND' && /^AND\b/i.test(rest)) {
      if (between) between = false;
      else {
        pieces.push([start, i]);
        start = i + 3;
      }
      continue;
    }
    if (/^OR\b/i.test(rest) && separator === 'AND') return []; // a disjunction: dropping one side is not one mistake
    if (CLAUSE_END.test(rest)) return [...pieces, [start, i]];
  }
}

/**
 * Mutants that drop one piece of each clause the pattern finds (with the separator before or after it), or,
 * where the clause has one piece and `whole(keyword)` allows it, the clause itself. A piece that runs into a
 * template substitution (`open`) is left alone: without the substitution's text it is not a whole piece.
 */
function dropPieces(sql, open, pattern, separator, whole) {
  const found = [];
  for (const m of sql.matchAll(pattern)) {
    const pieces = piecesOf(sql, m.index + m[0].length, separator).map(([a, b]) => ({ a, b, fixed: (open.before && a === 0) || (open.after && b === sql.length) }));
    if (!pieces.length || pieces.some((p) => !p.fixed && !sql.slice(p.a, p.b).trim())) continue;
    if (pieces.length === 1) {
      if (!pieces[0].fixed && whole(m[1].replace(/\s+/g, ' ').toUpperCase())) found.push({ at: m.index, length: pieces[0].b - m.index, with: '' });
      continue;
    }
    pieces.forEach((p, k) => {
      if (p.fixed) return;
      // The first piece goes with the separator after it; any other, with the separator before it.
      const [at, to] = k === 0 ? [p.a, pieces[1].a] : [pieces[k - 1].b, p.b];
      found.push({ at, length: to - at, with: k === 0 ? '' : ' ' });
    });
  }
  return found;
}

const oneLine = (sql) => sql.replace(/\s+/g, ' ').trim();

/** Every mutant of the layer's files: one change inside one SQL range. */
function mutants() {
  const all = [];
  for (const file of listFiles(layer).filter((f) => f.endsWith('.ts'))) {
    const path = join(layer, file);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    for (const [start, end, open] of sqlRanges(text, path)) {
      const sql = text.slice(start, end);
      // Inside a quoted SQL string ('[0-9]' of a GLOB, 'table') only a rule made for one applies.
      const quoted = [...sql.matchAll(/'[^']*'/g)].map((q) => [q.index, q.index + q[0].length]);
      const inQuotes = (at) => quoted.some(([a, b]) => at > a && at < b);
      for (const rule of rules) {
        for (const place of rule.find(sql, open)) {
          if (!rule.inQuotes && inQuotes(place.at)) continue;
          const at = start + place.at;
          const mutated = text.slice(0, at) + place.with + text.slice(at + place.length);
          if (mutated === text) continue;
          const line = text.slice(0, at).split('\n').length;
          const column = at - text.lastIndexOf('\n', at - 1);
          const code = lines[line - 1].trim();
          all.push({ file, mutated, key: `${relative(repo, path)}:${line}:${column} ${oneLine(text.slice(at, at + place.length))} → ${oneLine(place.with) || '(nothing)'}`, code, replacement: place.with });
        }
      }
    }
  }
  return all;
}

const previous = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : { survivors: [] };
const reasons = new Map(previous.survivors.filter((s) => s.reason).map((s) => [s.key, s.reason]));
const list = mutants();
if (flag('--list')) {
  // The mutants only, to review the rules' reach before a run of many minutes.
  for (const m of list) console.log(m.key);
  console.log(`${list.length} SQL mutants`);
  process.exit(0);
}
const { gradeOnReference } = await import('../../dist/runner/dev/verify.js');
console.log(`${kata.id}${stage ? ` stage ${stage}` : ''}: ${list.length} SQL mutants of ${relative(repo, layer)}, ${concurrency} at a time`);
const started = performance.now();
const results = [];
let next = 0;
async function worker() {
  while (next < list.length) {
    const mutant = list[next++];
    const overlay = mkdtempSync(join(tmpdir(), 'kata-sql-mutant-'));
    try {
      mkdirSync(dirname(join(overlay, mutant.file)), { recursive: true });
      writeFileSync(join(overlay, mutant.file), mutant.mutated);
      const result = await gradeOnReference(kata, overlay);
      const caughtBy = result.tests.filter((t) => t.status !== 'pass').map((t) => t.name.replace(/^hidden › /, ''));
      // A time limit on a loaded machine may be a slow run, not proof: named apart, as Stryker does. SQL
      // that SQLite cannot prepare never ran as a program: out of the score, as Stryker's CompileError is.
      const messages = [result.message, ...result.tests.map((t) => t.message)].join('\n');
      const status =
        result.status === 'pass' ? 'Survived'
        : INVALID_SQL.test(messages) ? 'CompileError'
        : /time limit/.test(result.message ?? '') ? 'Timeout'
        : 'Killed';
      results.push({ ...mutant, status, caughtBy });
      console.log(`${String(results.length).padStart(3)}/${list.length} ${status.padEnd(8)} ${mutant.key}${caughtBy[0] ? `\n        by ${caughtBy[0]}` : ''}`);
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));

const counts = {};
for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
const survivors = results
  .filter((r) => r.status === 'Survived')
  .sort((a, b) => a.key.localeCompare(b.key))
  .map(({ key, status, code, replacement }) => ({ key, status, code, replacement, reason: reasons.get(key) ?? '' }));
const report = {
  kata: kata.id,
  ...(stage && { stage: relative(join(base.dir, 'stages'), dirname(layer)) }),
  mutator: 'sql (test/mutations/sql-mutation.mjs)',
  score: percent(detectedCount(counts), validCount(counts)),
  mutants: results.length,
  counts,
  minutes: Math.round((performance.now() - started) / 6000) / 10,
  survivors,
};
writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
const owed = survivors.filter((s) => !s.reason);
console.log(`\n${kata.id}${stage ? ` stage ${stage}` : ''}: SQL mutation score ${report.score} % (${JSON.stringify(counts)}), ${report.minutes} min`);
console.log(`${survivors.length} survivor(s), ${owed.length} without a reason; report: ${relative(process.cwd(), reportFile)}`);
for (const s of owed) console.log(`  ${s.key}\n      ${s.code}`);
process.exit(report.score >= 90 && !owed.length ? 0 : 1);
