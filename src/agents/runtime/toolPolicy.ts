import type { AgentRole } from './types.js';
import { checkShellCommand } from './shellGuard.js';
import { isInside, resolveIn, type Workspace } from './workspacePaths.js';

/**
 * What each role may do (PRODUCT.md §2), as data the runner hands to the
 * engine plus one decision every tool call passes through (the PreToolUse
 * hook in toolGuard.ts). Offering (`tools`) and deciding are both enforced:
 * a tool not offered cannot be called, and a call that slips through any
 * other way is still refused here.
 */

export type ToolDecision = { allow: true } | { allow: false; reason: string };

export interface RolePolicy {
  /** Built-in Claude Code tools offered to the model (`tools` option; [] offers none). */
  builtInTools: string[];
  permissionMode: 'default' | 'bypassPermissions';
}

/** The in-process MCP server's name: Factory tools reach the model as `mcp__factory__<name>`. */
export const factoryServerName = 'factory';
export const factoryToolPrefix = `mcp__${factoryServerName}__`;

const readTools = ['Read', 'Grep', 'Glob', 'LS'];
const writeTools = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'];
/**
 * The worker's set: everything a developer uses in a checkout. Left out on
 * purpose: tools that leave the worktree or the run (EnterWorktree, cron and
 * wake-up schedulers, sub-agents and workflows, web access).
 */
const workerTools = ['Bash', ...readTools, ...writeTools, 'TodoWrite'];

export function rolePolicy(role: AgentRole): RolePolicy {
  switch (role) {
    case 'orchestrator':
      return { builtInTools: [], permissionMode: 'default' };
    case 'supervisor':
      return { builtInTools: [...readTools], permissionMode: 'default' };
    case 'worker':
      return { builtInTools: [...workerTools], permissionMode: 'bypassPermissions' };
  }
}

/** Decides one tool call. `input` is the tool's arguments as the model sent them. */
export function decideToolUse(
  role: AgentRole,
  workspace: Workspace,
  toolName: string,
  input: Record<string, unknown>,
): ToolDecision {
  if (toolName.startsWith(factoryToolPrefix)) return { allow: true };
  if (!rolePolicy(role).builtInTools.includes(toolName)) {
    return {
      allow: false,
      reason: `Refused: the ${role} may not use ${toolName}${role === 'supervisor' ? ' (the supervisor is read-only)' : ''}.`,
    };
  }
  if (writeTools.includes(toolName)) return checkPath(input, workspace, 'write');
  if (readTools.includes(toolName)) return checkPath(input, workspace, 'read');
  if (toolName === 'Bash') {
    const command = typeof input.command === 'string' ? input.command : '';
    return checkShellCommand(command, workspace);
  }
  return { allow: true };
}

/** The path arguments Claude Code's file tools take. */
export function pathArguments(input: Record<string, unknown>): string[] {
  return ['file_path', 'notebook_path', 'path']
    .map((key) => input[key])
    .filter((value): value is string => typeof value === 'string' && value !== '');
}

function checkPath(
  input: Record<string, unknown>,
  workspace: Workspace,
  verb: 'read' | 'write',
): ToolDecision {
  for (const target of pathArguments(input)) {
    const resolved = resolveIn(workspace.root, target, workspace.home);
    const roots =
      verb === 'read' ? [workspace.root, ...(workspace.readable ?? [])] : [workspace.root];
    if (!roots.some((root) => isInside(root, resolved))) {
      return {
        allow: false,
        reason: `Refused: ${resolved} is outside the working folder ${workspace.root}; you may only ${verb} inside it.`,
      };
    }
  }
  return { allow: true };
}
