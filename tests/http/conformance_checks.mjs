// Reads the per-scenario results the MCP conformance suite writes with `-o DIR`
// (DIR/server-<scenario>-<timestamp>/checks.json) and compares two runs check by check.
// usage: node conformance_checks.mjs DIRECT_DIR GATEWAY_DIR
// Prints both tallies (scenarios and checks) and every check that succeeded directly but not
// through the gateway, with the gateway's error message; exits 1 if there is any such check.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function load(dir) {
  // key "scenario/checkId" (#n for a check ID repeated inside a scenario) -> {status, message}
  const checks = new Map();
  const scenarios = new Map();  // scenario -> true when every check succeeded or was only informative
  for (const entry of readdirSync(dir).sort()) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry);
    const file = join(dir, entry, 'checks.json');
    if (!m) continue;
    const scenario = m[1];
    // A scenario that threw before recording its checks leaves no checks.json: it failed.
    if (!existsSync(file)) {
      scenarios.set(scenario, false);
      continue;
    }
    let list;
    try {
      list = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: ${e.message}`);
    }
    if (!Array.isArray(list)) throw new Error(`${file}: not an array of checks`);
    const seen = new Map();
    let ok = true;
    for (const c of list) {
      const n = (seen.get(c.id) ?? 0) + 1;
      seen.set(c.id, n);
      const key = `${scenario}/${c.id}${n > 1 ? `#${n}` : ''}`;
      checks.set(key, { status: String(c.status), message: c.errorMessage ?? '' });
      if (c.status === 'FAILURE') ok = false;
    }
    scenarios.set(scenario, ok);
  }
  return { checks, scenarios };
}

function tally(name, run) {
  const by = {};
  for (const { status } of run.checks.values()) by[status] = (by[status] ?? 0) + 1;
  const sp = [...run.scenarios.values()].filter(Boolean).length;
  const parts = Object.entries(by).sort().map(([s, n]) => `${n} ${s}`).join(', ');
  console.log(`${name}: scenarios ${sp} passed / ${run.scenarios.size - sp} failed; checks ${parts || 'none'}`);
}

const [directDir, gatewayDir] = process.argv.slice(2);
if (!directDir || !gatewayDir) {
  console.error('usage: conformance_checks.mjs DIRECT_DIR GATEWAY_DIR');
  process.exit(2);
}
const direct = load(directDir);
const gateway = load(gatewayDir);
if (direct.checks.size === 0) {
  console.error(`no checks.json under ${directDir}`);
  process.exit(2);
}
tally('direct ', direct);
tally('gateway', gateway);

// A check that succeeded directly regresses when it fails through the gateway, or is missing from
// a gateway scenario that failed (the scenario stopped before reaching it). One that turns into a
// WARNING (a SHOULD not met), INFO or SKIPPED (not applicable, e.g. JSON answers instead of an
// optional SSE stream) is listed as downgraded without failing the comparison.
const regressed = [];
const downgraded = [];
for (const [key, d] of direct.checks) {
  if (d.status !== 'SUCCESS') continue;
  const g = gateway.checks.get(key);
  const scenario = key.slice(0, key.indexOf('/'));
  if (g?.status === 'SUCCESS') continue;
  if (g ? g.status === 'FAILURE' : gateway.scenarios.get(scenario) !== true)
    regressed.push([key, g ? `${g.status}: ${g.message}` : 'not run']);
  else downgraded.push([key, g ? `${g.status}: ${g.message}` : 'not run']);
}
const lostScenarios = [...direct.scenarios].filter(([s, ok]) => ok && !gateway.scenarios.get(s)).map(([s]) => s);
const gained = [...gateway.checks].filter(([k, g]) => g.status === 'SUCCESS' && direct.checks.get(k)?.status !== 'SUCCESS');

if (gained.length) console.log(`succeed only through the gateway: ${gained.map(([k]) => k).join(' ')}`);
if (lostScenarios.length) console.log(`scenarios passing directly but not through the gateway: ${lostScenarios.join(' ')}`);
for (const [key, why] of downgraded) console.log(`DOWNGRADED ${key}: ${why.slice(0, 200)}`);
for (const [key, why] of regressed) console.log(`REGRESSION ${key}: ${why.slice(0, 200)}`);
console.log(`${regressed.length} check(s) succeeding directly fail through the gateway`);
process.exit(regressed.length || lostScenarios.length ? 1 : 0);
