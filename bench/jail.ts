/**
 * `npm run bench:jail`: what the agents' jail adds, jailed vs unjailed, on the
 * same machine in one run — an engine's start up to its first model request,
 * and a trivial `setup` command's wall time. Medians are printed and written
 * to bench/results/jail.json (`overheadMs`: median added per run; `ratio`).
 * Target: ≤ 150 ms added per run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { query } from '@anthropic-ai/claude-agent-sdk';
import { pino } from 'pino';
import { ensureAgentHome } from '../src/agents/runtime/agentHome.js';
import { buildAgentEnv } from '../src/agents/runtime/agentEnv.js';
import { createJail, type Jail } from '../src/agents/runtime/jail/jail.js';
import { createModelProxy } from '../src/agents/runtime/modelProxy/modelProxy.js';
import { runCommand } from '../src/agents/worker/commands.js';
import { match, startScriptedModel, turn } from '../test/support/scriptedModel/index.js';

const rounds = Number(process.env.BENCH_JAIL_ROUNDS ?? 5);
const log = pino({ level: 'silent' });
const jailed = createJail({ mode: 'on', log });
const unjailed = createJail({ mode: 'off', log });
const status = jailed.status();
if (!status.ok) throw new Error(status.reason);

const model = await startScriptedModel();
const work = mkdtempSync(path.join(os.tmpdir(), 'factory-bench-jail-'));
const home = ensureAgentHome(path.join(work, 'home'));
// Jailed and unjailed engines both reach the model through the proxy; nothing is recorded here.
const proxy = createModelProxy({
  upstream: { apiKey: 'sk-bench', baseUrl: model.url },
  log,
  record: async () => {},
  spendOf: async () => ({ costUsd: 0, tokens: 0 }),
});
let benchRun = 0;

/** From asking the SDK for a run to the model seeing its first request. */
async function engineStart(jail: Jail, marker: string): Promise<number> {
  model.script(match.promptIncludes(marker), [turn.text('ok')]);
  const started = performance.now();
  benchRun += 1;
  const proxyRun = proxy.openRun({ runId: benchRun, agentId: 1 }, { run: {} });
  const engine = await jail.openEngine({ role: 'worker', cwd: work, home, model: proxyRun });
  const { env } = buildAgentEnv({
    source: { ...process.env, IS_SANDBOX: '1' },
    model: engine.model,
    home,
  });
  const first = model.waitForRequest((r) => r.view?.promptText.includes(marker) === true, 120_000);
  const run = (async () => {
    for await (const message of query({
      prompt: `Say ok. ${marker}`,
      options: {
        cwd: work,
        env,
        // The model agent runs use (env MODEL_WORKER's default): newer defaults send turns the scripted model does not take.
        model: 'claude-sonnet-4-5',
        tools: [],
        settingSources: [],
        maxTurns: 1,
        spawnClaudeCodeProcess: engine.spawn,
      },
    }))
      void message;
  })();
  await first;
  const elapsed = performance.now() - started;
  await run;
  await engine.close();
  await proxyRun.close();
  return elapsed;
}

async function setupCommand(jail: Jail): Promise<number> {
  const result = await runCommand('true', 'setup', {
    cwd: work,
    env: { PATH: '/usr/bin:/bin' },
    timeoutMs: 60_000,
    jail,
  });
  if (!result.ok) throw new Error(result.output);
  return result.durationMs;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const samples = {
  engineJailed: [] as number[],
  engineUnjailed: [] as number[],
  setupJailed: [] as number[],
  setupUnjailed: [] as number[],
};
// Interleaved, so load on the machine falls on both sides alike.
for (let i = 0; i < rounds; i += 1) {
  samples.engineUnjailed.push(await engineStart(unjailed, `BENCH-U-${i}`));
  samples.engineJailed.push(await engineStart(jailed, `BENCH-J-${i}`));
  samples.setupUnjailed.push(await setupCommand(unjailed));
  samples.setupJailed.push(await setupCommand(jailed));
}
await model.close();
rmSync(work, { recursive: true, force: true });

const engine = {
  jailedMs: median(samples.engineJailed),
  unjailedMs: median(samples.engineUnjailed),
};
const setup = { jailedMs: median(samples.setupJailed), unjailedMs: median(samples.setupUnjailed) };
const overheadMs = engine.jailedMs - engine.unjailedMs;
const result = {
  rounds,
  loadAverage: os.loadavg(),
  engineStartToFirstRequest: { ...engine, overheadMs, ratio: engine.jailedMs / engine.unjailedMs },
  setupCommand: {
    ...setup,
    overheadMs: setup.jailedMs - setup.unjailedMs,
    ratio: setup.jailedMs / setup.unjailedMs,
  },
  overheadMs,
  ratio: engine.jailedMs / engine.unjailedMs,
  targetMs: 150,
  samples,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/jail.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `engine start → first request: jailed ${engine.jailedMs.toFixed(0)} ms, unjailed ${engine.unjailedMs.toFixed(0)} ms (+${overheadMs.toFixed(0)} ms, ×${result.ratio.toFixed(2)})`,
);
console.log(
  `setup \`true\`: jailed ${setup.jailedMs.toFixed(0)} ms, unjailed ${setup.unjailedMs.toFixed(0)} ms (+${result.setupCommand.overheadMs.toFixed(0)} ms); load ${os.loadavg()[0]?.toFixed(2)}`,
);
process.exit(0);
