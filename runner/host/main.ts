// The solution host: a fresh process for every grading run, started by the judge (inside the sandbox
// where the OS has one). It loads the learner's TypeScript (tsx), answers the judge's RPC calls over
// its IPC channel (birpc) and reports what the learner's code does outside any call. It decides nothing:
// the verdict is built in the judge, which no learner code can reach.
import { register as registerHooks } from 'node:module';
import { createBirpc } from 'birpc';
import { register as registerTypeScript } from 'tsx/esm/api';
import { serializeMessage, type HostFunctions, type JudgeFunctions } from './protocol.js';
import { HostRuntime } from './runtime.js';

interface HostConfig {
  kataDir: string;
  tempDir: string;
  /** Folders the learner's code may not import from (the runner's katas/, the grading data: hiddenFromLearner). */
  forbidden: string[];
  /** Packages to import before saying ready (the kata's own: express, tfjs…), so the learner's import is warm. */
  preload?: string[];
}

const config = JSON.parse(process.env.KATA_HOST_CONFIG ?? '{}') as HostConfig;
delete process.env.KATA_HOST_CONFIG;
if (!process.send) {
  process.stderr.write('kata: the solution host runs only under the judge (kata test)\n');
  process.exit(2);
}
const send = process.send.bind(process);
const realExit = process.exit.bind(process);

// The judge gone (kata stopped, killed): nothing is listening, end at once. In the sandbox the IPC
// socket is also held by the unshare processes around the host, so stdin, whose other end only the
// judge holds, is the sign that always comes.
process.on('disconnect', () => realExit(0));
process.stdin.on('end', () => realExit(0));
process.stdin.on('error', () => realExit(0));
process.stdin.resume();

registerHooks('./import-hooks.js', import.meta.url, { data: { forbidden: config.forbidden } });
registerTypeScript();

const judge = createBirpc<JudgeFunctions, HostFunctions>(
  {} as HostFunctions,
  {
    post: (data) => send(data),
    on: (fn) => process.on('message', fn),
    eventNames: ['problem', 'training'],
    timeout: -1,
    serialize: serializeMessage,
  },
);
const runtime = new HostRuntime(judge, config.tempDir, config.kataDir);

const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));
process.on('uncaughtException', (error) => void judge.problem('uncaught', describe(error)));
process.on('unhandledRejection', (reason) => void judge.problem('rejection', describe(reason)));
// process.exit in the learner's code ends the host: the judge hears why before the channel closes.
process.exit = ((code?: number | string | null) => {
  // Where in the learner's code: Node's own frames differ from version to version and say nothing.
  const where = (new Error('process.exit').stack?.split('\n').slice(2) ?? []).filter((line) => !/\bnode:|\/dist\/runner\/|\/node_modules\//.test(line)).slice(0, 3).join('\n');
  send({ kataExit: { code: code ?? 0, where } }, () => realExit(typeof code === 'number' ? code : 1));
  return undefined as never;
}) as typeof process.exit;

const functions: HostFunctions = {
  import: (specifier) => runtime.import(specifier),
  invoke: (id, path, args) => runtime.invoke(id, path, args),
  read: (id, path) => runtime.read(id, path),
  serve: (id) => runtime.serve(id),
  unserve: (socketPath) => runtime.unserve(socketPath),
  openDb: (descriptor) => runtime.openDb(descriptor),
  instrument: (kind, args) => runtime.instrument(kind, args),
  memory: () => runtime.memory(),
  selfUsage: () => runtime.selfUsage(),
  shutdown: async () => {
    const left = await runtime.shutdown();
    setImmediate(() => realExit(0));
    return left;
  },
};
Object.assign(judge.$functions, functions);
// A package the learner imports resolves to the same file from here (their workspace links the runner's
// node_modules), so it is then taken from the cache. One that fails to load fails again, in their import.
for (const specifier of config.preload ?? []) {
  try {
    await import(specifier);
  } catch {
    /* reported where the learner's code imports it */
  }
}
send({ kataReady: true });
