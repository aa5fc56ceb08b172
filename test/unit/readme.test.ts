// The README's first steps are what a newcomer types: they must start a kata that is open to them, and
// use only commands that run this clone's kata.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadCatalog } from '../../runner/core/catalog.js';
import { katasDir, runnerRoot } from '../../runner/core/paths.js';

const readme = readFileSync(join(runnerRoot, 'README.md'), 'utf8');
const section = (title: string) => readme.split(/^## /m).find((part) => part.startsWith(title)) ?? '';
const codeLines = (text: string) => [...text.matchAll(/```\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n')).filter(Boolean);

test('the first kata the README starts has no prerequisites', async () => {
  const first = readme.match(/^kata start (\S+)/m)?.[1];
  const kata = (await loadCatalog(katasDir)).find((k) => k.id === first);
  expect(kata, `README starts "${first}"`).toBeDefined();
  expect(kata!.prerequisites).toEqual([]);
});

test("the learner's first commands leave out the project's own tests, and never ask npx", () => {
  const start = codeLines(section('Install and start'));
  expect(start.length).toBeGreaterThan(3);
  expect(start.filter((line) => /npm test/.test(line))).toEqual([]);
  // npx kata outside this clone would fetch someone else's package: the commands shown are kata itself.
  expect(codeLines(readme).filter((line) => /\bnpx\b/.test(line))).toEqual([]);
  expect(section('For contributors')).toContain('`npm test`');
});

test('no message kata prints tells the learner to run npx', () => {
  const sources = (readdirSync(join(runnerRoot, 'runner'), { recursive: true }) as string[]).filter((file) => file.endsWith('.ts'));
  const offending = sources.flatMap((file) =>
    readFileSync(join(runnerRoot, 'runner', file), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && /\bnpx\b/.test(line))
      .map((line) => `${file}: ${line.trim()}`),
  );
  expect(offending).toEqual([]);
});

test("no kata's brief or visible tests tell the learner to run npx kata", () => {
  const files = (readdirSync(katasDir, { recursive: true }) as string[]).filter((file) => /(README\.md|\.test\.ts)$/.test(file));
  expect(files.filter((file) => /\bnpx kata\b/.test(readFileSync(join(katasDir, file), 'utf8')))).toEqual([]);
});
