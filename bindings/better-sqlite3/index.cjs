'use strict';
// `require('better-sqlite3')`: the build for the running Node (see binding.cjs).
module.exports = require('./binding.cjs').load().Database;
