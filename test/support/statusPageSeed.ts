import { eq } from 'drizzle-orm';
import type { Database } from '../../src/db/connection.js';
import {
  agentRuns,
  agents,
  decisionLog,
  epics,
  escalations,
  mail,
  mergeQueueEntries,
  modelUsage,
  tasks,
} from '../../src/db/schema.js';

/** A title and body that would run script if anything rendered them as markup. */
export const hostileTitle = `<script>window.__pwned = 'script'</script><img src=x onerror="window.__pwned = 'img'">`;

/**
 * A small but complete picture for the status page: one epic in progress with
 * tasks in every stage, its PR queue, agents, runs, usage, decisions and mail;
 * one epic with a hostile title; one finished epic.
 */
export async function seedStatusPage(db: Database) {
  const base = { installationId: 42, repoId: 1001, repoOwner: 'acme', repoName: 'widgets' };
  const [darkMode, hostile, done] = await db
    .insert(epics)
    .values([
      {
        ...base,
        issueNumber: 10,
        issueId: 9010,
        title: 'Add dark mode',
        state: 'IN_PROGRESS',
        baseBranch: 'main',
        planApprovedAt: new Date('2026-11-26T09:00:00Z'),
        planApprovedBy: 'maintainer',
      },
      {
        ...base,
        issueNumber: 11,
        issueId: 9011,
        title: hostileTitle,
        body: hostileTitle,
        state: 'PLANNING',
      },
      {
        ...base,
        issueNumber: 3,
        issueId: 9003,
        title: 'Speed up start-up',
        state: 'COMPLETED',
        completedAt: new Date('2026-11-25T12:00:00Z'),
      },
    ])
    .returning();
  if (!darkMode || !hostile || !done) throw new Error('seed: epics not inserted');

  const [supervisor, busyWorker, reviewWorker, failedWorker, idleWorker] = await db
    .insert(agents)
    .values([
      {
        kind: 'supervisor',
        state: 'BUSY',
        installationId: 42,
        epicId: darkMode.id,
        lastHeartbeatAt: new Date(),
      },
      {
        kind: 'worker',
        state: 'BUSY',
        installationId: 42,
        epicId: darkMode.id,
        lastHeartbeatAt: new Date(),
      },
      { kind: 'worker', state: 'WAITING', installationId: 42, epicId: darkMode.id },
      {
        kind: 'worker',
        state: 'FAILED',
        installationId: 42,
        epicId: hostile.id,
        failureReason: `push failed: https://x-access-token:ghs_${'a'.repeat(36)}@github.com/acme/widgets.git`,
      },
      { kind: 'worker', state: 'IDLE', installationId: 42 },
    ])
    .returning();
  if (!supervisor || !busyWorker || !reviewWorker || !failedWorker || !idleWorker)
    throw new Error('seed: agents not inserted');

  const [merged, inReview, implementing, pending] = await db
    .insert(tasks)
    .values([
      {
        epicId: darkMode.id,
        issueNumber: 12,
        issueId: 9012,
        title: 'Theme tokens',
        position: 0,
        state: 'COMPLETED',
        prNumber: 20,
        branch: 'factory/10-12-theme-tokens',
        attempts: 1,
      },
      {
        epicId: darkMode.id,
        issueNumber: 13,
        issueId: 9013,
        title: 'Toggle in settings',
        position: 1,
        state: 'REVIEW',
        prNumber: 21,
        branch: 'factory/10-13-toggle',
        attempts: 1,
        assignedAgentId: reviewWorker.id,
      },
      {
        epicId: darkMode.id,
        issueNumber: 14,
        issueId: 9014,
        title: 'Persist the choice',
        position: 2,
        state: 'IN_PROGRESS',
        attempts: 2,
        assignedAgentId: busyWorker.id,
      },
      {
        epicId: darkMode.id,
        issueNumber: 15,
        issueId: 9015,
        title: 'Document it',
        position: 3,
        state: 'PENDING',
      },
    ])
    .returning();
  if (!merged || !inReview || !implementing || !pending)
    throw new Error('seed: tasks not inserted');
  await db
    .update(tasks)
    .set({ dependsOn: [merged.id, inReview.id] })
    .where(eq(tasks.id, pending.id));
  await db.update(agents).set({ taskId: implementing.id }).where(eq(agents.id, busyWorker.id));
  await db.update(agents).set({ taskId: inReview.id }).where(eq(agents.id, reviewWorker.id));

  await db.insert(mergeQueueEntries).values([
    {
      epicId: darkMode.id,
      taskId: merged.id,
      prNumber: 20,
      position: 0,
      state: 'merged',
      approvedSha: 'abc123',
      mergedAt: new Date('2026-11-26T09:30:00Z'),
      mergedSha: 'def456',
    },
    {
      epicId: darkMode.id,
      taskId: inReview.id,
      prNumber: 21,
      position: 1,
      state: 'queued',
      reworkRounds: 1,
    },
  ]);

  const [run1, run2] = await db
    .insert(agentRuns)
    .values([
      {
        agentId: busyWorker.id,
        purpose: 'implement task #14',
        model: 'claude-sonnet-4-5',
        prompt: 'SECRET-PROMPT-TEXT',
        status: 'failed',
        error: 'tests failed: 2 of 40',
        numTurns: 12,
        startedAt: new Date('2026-11-26T09:40:00Z'),
        finishedAt: new Date('2026-11-26T09:50:00Z'),
      },
      {
        agentId: busyWorker.id,
        purpose: 'implement task #14',
        model: 'claude-sonnet-4-5',
        prompt: 'SECRET-PROMPT-TEXT',
        status: 'running',
        startedAt: new Date('2026-11-26T09:55:00Z'),
      },
    ])
    .returning();
  if (!run1 || !run2) throw new Error('seed: runs not inserted');

  await db.insert(modelUsage).values([
    {
      agentId: supervisor.id,
      epicId: darkMode.id,
      installationId: 42,
      model: 'claude-sonnet-4-5',
      inputTokens: 12000,
      outputTokens: 3000,
      costUsd: 0.081,
    },
    {
      agentId: busyWorker.id,
      runId: run1.id,
      epicId: darkMode.id,
      taskId: implementing.id,
      installationId: 42,
      model: 'claude-sonnet-4-5',
      inputTokens: 50000,
      outputTokens: 8000,
      cacheReadTokens: 20000,
      costUsd: 0.27,
    },
    {
      agentId: busyWorker.id,
      runId: run2.id,
      epicId: darkMode.id,
      taskId: implementing.id,
      installationId: 42,
      model: 'claude-haiku-4-5',
      inputTokens: 4000,
      outputTokens: 500,
      costUsd: 0.006,
    },
    {
      agentId: reviewWorker.id,
      epicId: darkMode.id,
      taskId: inReview.id,
      installationId: 42,
      model: 'claude-sonnet-4-5',
      inputTokens: 30000,
      outputTokens: 6000,
      costUsd: 1.2,
    },
  ]);

  await db.insert(decisionLog).values([
    {
      agentId: supervisor.id,
      epicId: darkMode.id,
      decision: 'Planned 4 tasks',
      reasoning: 'Tokens first, then the toggle, then persistence.',
      createdAt: new Date('2026-11-26T09:01:00Z'),
    },
    {
      agentId: supervisor.id,
      epicId: darkMode.id,
      taskId: merged.id,
      decision: 'Merged PR #20',
      reasoning: 'Checks green, approved.',
      createdAt: new Date('2026-11-26T09:30:00Z'),
    },
    {
      agentId: supervisor.id,
      epicId: hostile.id,
      decision: hostileTitle,
      reasoning: hostileTitle,
      createdAt: new Date('2026-11-26T09:35:00Z'),
    },
  ]);
  await db.insert(mail).values([
    {
      epicId: darkMode.id,
      taskId: inReview.id,
      fromHuman: 'reviewer',
      toAgentId: reviewWorker.id,
      subject: 'Review comment',
      body: 'Please rename the toggle.',
      githubCommentId: 5001,
      githubCommentUrl: 'https://github.com/acme/widgets/pull/21#issuecomment-5001',
      createdAt: new Date('2026-11-26T09:45:00Z'),
    },
    {
      epicId: darkMode.id,
      fromAgentId: supervisor.id,
      isForHuman: true,
      subject: 'Plan ready',
      body: 'Four tasks; see the progress comment.',
      createdAt: new Date('2026-11-26T09:02:00Z'),
    },
    {
      epicId: hostile.id,
      fromHuman: 'mallory',
      toAgentId: supervisor.id,
      subject: hostileTitle,
      body: hostileTitle,
      githubCommentId: 5002,
      githubCommentUrl: 'javascript:alert(1)',
      createdAt: new Date('2026-11-26T09:36:00Z'),
    },
  ]);
  await db.insert(escalations).values({
    epicId: darkMode.id,
    cause: 'worker-crash-loop',
    message: 'Task #14 failed twice; a person should look.',
  });

  return {
    epics: { darkMode, hostile, done },
    agents: { supervisor, busyWorker, reviewWorker, failedWorker, idleWorker },
    tasks: { merged, inReview, implementing, pending },
  };
}

export type StatusPageSeed = Awaited<ReturnType<typeof seedStatusPage>>;
