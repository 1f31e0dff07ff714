import { loadRepoConfig } from '../config/loadRepoConfig.js';
import { getEpic, transitionEpic } from '../db/epics.js';
import type { FactoryDeps } from '../deps.js';
import { ensureComment, findMarkedComment } from '../github/comments.js';
import { ensureLabels, setStateLabel } from '../github/labels.js';
import { ensureReaction } from '../github/reactions.js';
import { epicStateLabel } from '../github/stateLabels.js';
import { jobIds, type JobPayload } from '../queues/jobs.js';
import {
  configBlockedReason,
  configCommentKey,
  configFixedComment,
  configProblemsComment,
  isBlockedByConfig,
} from './configProblems.js';

/**
 * What the maintainer sees within seconds of labelling an epic: the factory
 * labels exist, the bot has reacted, and the issue carries its state label.
 * The config is checked again here, so this job is also how a parked epic is
 * started once its config has been fixed. Every step is an "ensure", so a
 * retry or a second acknowledgement changes nothing.
 */
export async function acknowledgeEpic(
  deps: FactoryDeps,
  payload: JobPayload<'acknowledge-epic'>,
  jobId: string,
): Promise<void> {
  const octokit = await deps.github.forInstallation(payload.installationId);
  const ref = { owner: payload.owner, repo: payload.repo };
  const loaded = await loadRepoConfig(octokit, ref);
  const { labels } = loaded.config;
  let epic = await getEpic(deps.db, payload.epicId);
  const issue = { ...ref, issueNumber: epic.issueNumber };

  await ensureLabels(octokit, { ...ref, labels });
  const botLogin = await deps.github.botLogin();
  await ensureReaction(octokit, { ...issue, content: 'eyes', botLogin });

  if (!loaded.ok) {
    if (epic.state === 'PLANNING') {
      epic = await transitionEpic(deps.db, epic.id, 'BLOCKED', {
        from: 'PLANNING',
        reason: configBlockedReason(loaded.problems),
      });
    }
    if (isBlockedByConfig(epic)) {
      await ensureComment(octokit, {
        ...issue,
        key: configCommentKey,
        body: configProblemsComment(loaded.problems, labels.epic),
      });
    }
  } else if (isBlockedByConfig(epic)) {
    epic = await transitionEpic(deps.db, epic.id, 'PLANNING', { from: 'BLOCKED' });
    await deps.queues.enqueue('plan-epic', payload, {
      jobId: jobIds.forEntity('plan-epic', epic.id, `after-${jobId}`),
    });
    if (await findMarkedComment(octokit, { ...issue, key: configCommentKey })) {
      await ensureComment(octokit, { ...issue, key: configCommentKey, body: configFixedComment() });
    }
  }
  await setStateLabel(octokit, { ...issue, labels, state: epicStateLabel(epic.state) });
  deps.log.info({ epic: epic.id, issue: epic.issueNumber, state: epic.state }, 'epic acknowledged');
}
