// Ways to damage a progress store, as torn writes and bad disks do.
import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Garbles the page of one index: the file still opens and its tables read; only an integrity check sees it. */
export function garbleIndexPage(file: string, index = 'attempts_by_kata'): void {
  const db = new Database(file, { readonly: true });
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(index) as { rootpage: number };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const bytes = readFileSync(file);
  bytes.fill(0xab, (rootpage - 1) * pageSize, rootpage * pageSize);
  writeFileSync(file, bytes);
}
