// serverless.yml resolves the archive bucket's lifecycle rules here, at package time: the policy
// file is validated by the same TypeScript the functions run, so a malformed file stops the
// package with the offending field named (e.g. `policies[1].retention.days: must be a positive integer`).
const path = require('node:path');
const tsx = require('tsx/cjs/api');

// LOGVAULT_POLICIES_FILE points at another file (tests, `policies check` of a draft).
function load() {
  const file = process.env.LOGVAULT_POLICIES_FILE || path.join(__dirname, '..', 'policies.json');
  const mod = tsx.require('../shared/policy-lifecycle.ts', __filename);
  return mod.lifecycleRulesFromFile(file);
}

module.exports.rules = async () => {
  try {
    return load();
  } catch (error) {
    // Serverless prints only this message; the issue list is already `path: rule` per field.
    throw new Error(`invalid policy file: ${error.message}`);
  }
};
module.exports.load = load;
