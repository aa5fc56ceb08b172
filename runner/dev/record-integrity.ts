// `npm run build` ends here: records the hashes of the runner's grading files (see core/integrity.ts), and
// the sources this build was made from (core/build-stamp.ts: a later command refuses to run a stale build).
import { buildStampFile, recordBuildStamp } from '../core/build-stamp.js';
import { integrityFile, recordIntegrity } from '../core/integrity.js';

const count = recordIntegrity();
console.log(`integrity: ${count} grading files recorded in ${integrityFile}`);
console.log(`build stamp: ${recordBuildStamp()} source files recorded in ${buildStampFile}`);
