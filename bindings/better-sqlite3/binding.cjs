// Which better-sqlite3 build fits the running Node, and a clear error when none does.
// better-sqlite3 12 aborts the process on Node 24.19+ (ObjectWrap's destructor needs a live Environment,
// so a statement collected by an idle GC kills node); 13 fixes that but does not run on Node 20. Both
// are installed as optionalDependencies under aliases, and each Node gets the one built for it.
'use strict';

const major = Number(process.versions.node.split('.')[0]);

/** The aliased package for this Node, or undefined when no supported build exists. */
function packageFor(nodeMajor) {
  if (nodeMajor === 20 || nodeMajor === 21) return 'better-sqlite3-12';
  if (nodeMajor >= 22) return 'better-sqlite3-13';
  return undefined;
}

function unsupported(message, cause) {
  const error = new Error(message, { cause });
  error.code = 'KATA_SQLITE_BINDING';
  return error;
}

/** Loads the binding for this Node: { Database, name, version }. */
function load() {
  const name = packageFor(major);
  if (!name) {
    throw unsupported(
      `kata needs Node.js 20, 22 or 24; this is Node ${process.versions.node}, for which no better-sqlite3 build exists. ` +
        'Install Node 22 or 24 LTS, then run npm install.',
    );
  }
  let Database;
  try {
    Database = require(name);
  } catch (cause) {
    if (cause && cause.code === 'MODULE_NOT_FOUND' && String(cause.message).includes(name)) {
      throw unsupported(
        `better-sqlite3 for Node ${major} (${name}) is not installed: it is built by npm install on this Node. ` +
          'Run npm install (or npm rebuild ' + name + ') with the Node you use.',
        cause,
      );
    }
    if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(String(cause && cause.message))) {
      throw unsupported(
        `better-sqlite3 (${name}) was built for another Node.js version than this one (${process.versions.node}). ` +
          'Run npm rebuild ' + name + ' with the Node you use.',
        cause,
      );
    }
    throw cause;
  }
  const version = require(`${name}/package.json`).version;
  return { Database, name, version };
}

module.exports = { load, packageFor };
