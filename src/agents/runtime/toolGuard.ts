import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { HookCallback, HookJSONOutput } from '@anthropic-ai/claude-agent-sdk';
import { decideToolUse, pathArguments, type ToolDecision } from './toolPolicy.js';
import type { AgentRole } from './types.js';
import type { Workspace } from './workspacePaths.js';

/**
 * The PreToolUse hook every agent runs with: each tool call the model makes
 * is decided by `decideToolUse` (role, workspace) before the engine runs it,
 * in every permission mode — bypassPermissions skips prompts, not hooks.
 * Paths are checked after resolving symbolic links, so a link inside the
 * worktree pointing outside it does not open a way out for the file tools.
 */

/** A further check for some calls (structured results validate their submission here). */
export type ToolInterceptor = (
  toolName: string,
  input: Record<string, unknown>,
) => ToolDecision | undefined;

export interface ToolGuardEvent {
  toolName: string;
  decision: ToolDecision;
}

export function createToolGuard(options: {
  role: AgentRole;
  workspace: Workspace;
  intercept?: ToolInterceptor;
  onDecision?: (event: ToolGuardEvent) => void;
}): HookCallback {
  const workspace = { ...options.workspace, root: realPath(options.workspace.root) };
  return async (input) => {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const toolInput = asRecord(input.tool_input);
    const decision =
      options.intercept?.(input.tool_name, toolInput) ??
      decideToolUse(
        options.role,
        workspace,
        input.tool_name,
        withRealPaths(toolInput, workspace.root),
      );
    options.onDecision?.({ toolName: input.tool_name, decision });
    return hookOutput(decision);
  };
}

function hookOutput(decision: ToolDecision): HookJSONOutput {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: decision.allow ? 'allow' : 'deny',
      permissionDecisionReason: decision.allow
        ? 'allowed by the Factory role policy'
        : decision.reason,
    },
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Replaces each path argument with its real location (links resolved as far as the path exists). */
function withRealPaths(input: Record<string, unknown>, root: string): Record<string, unknown> {
  const out = { ...input };
  for (const key of ['file_path', 'notebook_path', 'path']) {
    const value = input[key];
    if (typeof value === 'string' && pathArguments({ [key]: value }).length > 0) {
      const absolute = path.isAbsolute(value) ? value : path.resolve(root, value);
      out[key] = realPath(absolute);
    }
  }
  return out;
}

/** The real path of the longest existing prefix, with the rest appended. */
export function realPath(target: string): string {
  let existing = path.resolve(target);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(target);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}
