// `import Database from 'better-sqlite3'`: the build for the running Node (see binding.cjs).
import { createRequire } from 'node:module';

const Database = createRequire(import.meta.url)('./index.cjs');
export default Database;
export const SqliteError = Database.SqliteError;
