// The command line both mutation tools share: <kata id> [--stage n] [--concurrency n] and their flags,
// checked against katas/ (a staged kata needs its stage, a single one none) before any long run starts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stageKeys } from './staged-suite.mjs';

/** The kata, stage (1-based, or undefined), stage folders, concurrency and flags; exits 2 with `usage` when they do not fit. */
export function mutationArgs(repo, usage) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const refuse = (why) => {
    console.error(why ? `${usage}\n${why}` : usage);
    process.exit(2);
  };
  const id = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!id) refuse();
  if (!existsSync(join(repo, 'katas', id, 'kata.json'))) refuse(`"${id}" is not a kata in katas/`);
  const keys = stageKeys(repo, id);
  const stage = option('--stage') === undefined ? undefined : Number(option('--stage'));
  if (keys.length && !(Number.isInteger(stage) && stage >= 1 && stage <= keys.length)) {
    refuse(`${id} is a staged kata: name a stage, 1..${keys.length} (${keys.join(', ')})`);
  }
  if (!keys.length && stage !== undefined) refuse(`${id} has no stages: leave out --stage`);
  return { id, stage, keys, concurrency: Number(option('--concurrency') ?? 2), flag: (name) => args.includes(name) };
}
