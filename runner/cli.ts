// The command line: declarations only. Each action loads its command module when it runs, so that
// `kata --help` and `kata list` never load vitest, express or tfjs.
import { Command, CommanderError, Option } from 'commander';
import type { CommandContext } from './commands/context.js';
import { ExitCode, KataError } from './core/errors.js';
import { runnerVersion } from './core/paths.js';
import { errorDetail, printError } from './reporters/error.js';
import { colors as c, processOutput } from './reporters/output.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Action = (ctx: CommandContext, ...args: any[]) => Promise<number>;

export async function main(argv: string[], cwd = process.cwd(), env = process.env): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // commander calls an action with (...arguments, options, command).
  const run = (action: Action) => async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals() as { workspace?: string; json?: boolean };
    try {
      exitCode = await action({ cwd, env, out: processOutput, workspace: globals.workspace }, ...args.slice(0, -1));
    } catch (error) {
      // A script reading --json gets a JSON answer even when the command could not do its job.
      if (globals.json && error instanceof KataError) processOutput.json(errorAsJson(command.name(), error));
      throw error;
    }
  };

  const program = new Command('kata')
    .description('Graded, hands-on katas for data engineers moving into backend and ML engineering.')
    .version(runnerVersion, '-v, --version')
    .option('-w, --workspace <dir>', "workspace folder (default: $KATA_WORKSPACE, the nearest folder with .kata/, or this clone's workspace/)")
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(c.red(text)) })
    .exitOverride()
    .addHelpText('after', `\nStart here:\n  kata list   the katas, and which are open to you now\n  kata next   start the first kata whose prerequisites are done\n  kata test   in the kata's folder: your tests, then the hidden suite`);

  program
    .command('list')
    .description('the catalog in order, with your status for each kata')
    .addOption(new Option('--track <track>', 'only one track').choices(['data', 'backend', 'ml', 'project']))
    .option('--json', 'print JSON')
    .addOption(new Option('--ids', 'print only the ids, one a line (for shell completion)').hideHelp())
    .action(run(async (ctx, opts) => (await import('./commands/list.js')).list(ctx, opts)));

  program
    .command('start')
    .description('scaffold a kata into your workspace and print what to do next')
    .argument('<id>', 'kata id (see kata list)')
    .option('-f, --force', 'overwrite your files in the kata folder (they are backed up first)')
    .action(run(async (ctx, id: string, opts: { force?: boolean }) => (await import('./commands/start.js')).start(ctx, id, opts)));

  program
    .command('test')
    .description('run your tests, then the hidden suite; exit 0 when the hidden suite passes')
    .argument('[id]', 'kata id (default: the kata folder you are in)')
    .option('--json', 'print the result as JSON (Exercism results.json v3 shape)')
    .option('--verbose', 'explain every failure, with whole messages')
    .option('-t, --filter <pattern>', 'run only the tests whose name matches (a regular expression, as vitest -t); not recorded')
    .option('--visible', 'run only your own tests (tests/): fast, no hidden suite, not recorded')
    .option('--no-typecheck', 'skip the type check (not graded; also KATA_TYPECHECK=0)')
    .action(run(async (ctx, id: string | undefined, opts: { json?: boolean; verbose?: boolean; filter?: string; visible?: boolean; typecheck?: boolean }) => (await import('./commands/test.js')).test(ctx, id, opts)));

  program
    .command('watch')
    .description('re-run kata test on every save (keys: h hint, r re-run, n next kata after a pass, q quit)')
    .argument('[id]', 'kata id (default: the kata folder you are in)')
    .option('--poll', 'poll for changes (WSL, containers and network drives, where file events are missed)')
    .option('--no-typecheck', 'skip the type check (not graded; also KATA_TYPECHECK=0)')
    .action(run(async (ctx, id: string | undefined, opts: { poll?: boolean; typecheck?: boolean }) => (await import('./commands/watch.js')).watch(ctx, id, opts)));

  program
    .command('hint')
    .description('show the next hint for a kata (recorded as used)')
    .argument('[id]', 'kata id (default: the kata folder you are in)')
    .option('--all', 'show again every hint you have seen (records nothing new)')
    .option('--json', 'print JSON')
    .action(run(async (ctx, id: string | undefined, opts: { json?: boolean; all?: boolean }) => (await import('./commands/hint.js')).hint(ctx, id, opts)));

  program
    .command('progress')
    .description('done / in progress per track, attempts, time to green, hints used')
    .option('--json', 'print JSON')
    .action(run(async (ctx, opts: { json?: boolean }) => (await import('./commands/progress.js')).progress(ctx, opts)));

  program
    .command('next')
    .description('start the first kata whose prerequisites are done')
    .option('--json', 'print the chosen kata as JSON instead of starting it')
    .option('-f, --force', 'overwrite your files if that kata folder exists (they are backed up first)')
    .action(run(async (ctx, opts: { json?: boolean; force?: boolean }) => (await import('./commands/next.js')).next(ctx, opts)));

  program
    .command('reset')
    .description('restore the starter files of a kata, keeping a backup of yours (a staged kata: the start of its current stage)')
    .argument('[id]', 'kata id (default: the kata folder you are in)')
    .option('--stage <n>', 'a staged kata: go back to the start of stage n (the reference of the stages before it)')
    .action(run(async (ctx, id: string | undefined, opts: { stage?: string }) => (await import('./commands/reset.js')).reset(ctx, id, opts)));

  program
    .command('solution')
    .description('show the reference solution of a kata you have passed')
    .argument('[id]', 'kata id (default: the kata folder you are in)')
    .option('--json', 'print JSON')
    .action(run(async (ctx, id: string | undefined, opts: { json?: boolean }) => (await import('./commands/solution.js')).solution(ctx, id, opts)));

  program
    .command('doctor')
    .description('check Node, better-sqlite3, the tfjs backend, the workspace and the progress store')
    .option('--repair', 'rebuild a damaged progress store from what can be read (the old file is kept)')
    .option('--json', 'print JSON')
    .action(run(async (ctx, opts: { repair?: boolean; json?: boolean }) => (await import('./commands/doctor.js')).doctor(ctx, opts)));

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(run(async (ctx, shell: string) => (await import('./commands/completion.js')).completion(ctx, shell)));

  program
    .command('verify')
    .description('for kata authors: reference and alt/ solutions pass the hidden suite; the starter and wrong/ solutions fail it')
    .argument('[ids...]', 'kata ids (default: all)')
    .option('--write-lock', 'record the hidden suite\'s hashes and test names first')
    .option('--repeat <n>', 'grade each reference and alternative solution n times (stability)')
    .option('--only <names>', 'grade only these, comma-separated: reference, starter, wrong, alt, wrong/<name>, alt/<name>')
    .option('--stage <n>', 'a staged kata: verify stage n only (default: every stage)')
    .option('--json', 'print JSON')
    .action(run(async (ctx, ids: string[], opts: { writeLock?: boolean; json?: boolean; repeat?: string; only?: string; stage?: string }) => (await import('./commands/verify.js')).verify(ctx, ids, opts)));

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return handleError(error);
  }
}

/** An expected error for --json readers: `kata test` keeps the results.json v3 shape, with status "error". */
function errorAsJson(command: string, error: KataError) {
  const detail = errorDetail(error);
  return command === 'test' ? { version: 3, status: 'error', message: error.message, tests: [], error: detail } : { error: detail };
}

function handleError(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof KataError) {
    printError(processOutput, error);
    return error.exitCode;
  }
  processOutput.error(`${c.red('kata: internal error:')} ${(error as Error)?.stack ?? String(error)}`);
  processOutput.error('  This is a bug in kata; please report it with the command you ran.');
  return ExitCode.internal;
}
