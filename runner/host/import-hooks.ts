// Module resolution hooks of the solution host: the learner's code may import its own files, packages
// and node built-ins, never the runner's katas/ (another kata's reference solution, a hidden suite) or its
// grading data (judge-only fixtures, vega-datasets). Where the sandbox runs, these are not even visible
// to the host; this says why an import failed.
import { fileURLToPath } from 'node:url';

let forbidden: string[] = [];

export function initialize(data: { forbidden: string[] }): void {
  forbidden = data.forbidden;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type NextResolve = (specifier: string, context: unknown) => Promise<Resolved>;

export async function resolve(specifier: string, context: unknown, next: NextResolve): Promise<Resolved> {
  const resolved = await next(specifier, context);
  if (resolved.url.startsWith('file:')) {
    const file = fileURLToPath(resolved.url);
    if (forbidden.some((dir) => file === dir || file.startsWith(`${dir}/`) || file.startsWith(`${dir}\\`))) {
      throw new Error(`your code imports ${specifier}, which is one of kata's own files (${file}: a hidden suite, a solution or grading data): a solution must be your own code`);
    }
  }
  return resolved;
}
