import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentRole } from '../runtime/types.js';
import type { RepoInstruction } from './assemble.js';

const promptsFolder = path.dirname(fileURLToPath(import.meta.url));

/** The role's prompt, prompts/<role>.md. */
export async function loadRolePrompt(role: AgentRole): Promise<string> {
  return readFile(path.join(promptsFolder, `${role}.md`), 'utf8');
}

/** The instruction files agents read in a repository, in the order they are offered. */
export const instructionFiles = ['CLAUDE.md', 'AGENTS.md', '.github/copilot-instructions.md'];

/**
 * The repository's instructions for agents, read from the checkout. Only
 * regular files at the known names, never followed outside the checkout.
 */
export async function loadRepoInstructions(checkout: string): Promise<RepoInstruction[]> {
  const found: RepoInstruction[] = [];
  const root = await realpath(path.resolve(checkout));
  for (const file of instructionFiles) {
    try {
      // A link pointing outside the checkout (e.g. at the app's own files) is not followed.
      const real = await realpath(path.resolve(root, file));
      if (!real.startsWith(`${root}${path.sep}`)) continue;
      found.push({ file, text: await readFile(real, 'utf8') });
    } catch {
      // Absent: nothing to add.
    }
  }
  return found;
}
