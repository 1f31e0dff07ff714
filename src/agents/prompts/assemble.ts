import { revealHidden, sanitizeForAgent } from '../../mail/sanitize.js';
import type { AgentRole } from '../runtime/types.js';

/**
 * Builds what an agent is told: the role's prompt (prompts/<role>.md), the
 * repository's own instructions (CLAUDE.md / AGENTS.md) as the system
 * prompt; the job, the epic and the task as the user turn. Everything that
 * people or the repository wrote is fenced as untrusted data, so the agent
 * can tell Factory's rules from text that merely talks about the work.
 * Pure: the caller reads the files (see loadPrompts.ts).
 */

export interface RepoInstruction {
  /** Path inside the checkout, e.g. `CLAUDE.md`. */
  file: string;
  text: string;
}

export interface PromptContext {
  role: AgentRole;
  /** The role's markdown, from prompts/<role>.md. */
  rolePrompt: string;
  repository?: { owner: string; name: string; baseBranch?: string };
  repoInstructions?: RepoInstruction[];
  epic?: { number: number; title: string; body: string };
  task?: {
    number: number;
    title: string;
    description: string;
    acceptanceCriteria?: string[];
    branch?: string;
  };
  /** What this run is asked to do, in Factory's words (trusted). */
  job: string;
  /**
   * Further material for the job written by others (a review, a comment, check
   * output). `verbatim` material (code, a diff) is not stripped of HTML
   * comments; its hidden characters are shown as code points instead.
   */
  material?: Array<{ label: string; text: string; verbatim?: boolean }>;
}

export interface AssembledPrompts {
  systemPrompt: string;
  prompt: string;
}

/** Longest repository instruction text kept; the rest is cut with a note. */
export const maxInstructionChars = 20_000;

export function assemblePrompts(context: PromptContext): AssembledPrompts {
  return { systemPrompt: systemPrompt(context), prompt: userPrompt(context) };
}

function systemPrompt(context: PromptContext): string {
  const parts = [context.rolePrompt.trim()];
  if (context.repository) {
    const { owner, name, baseBranch } = context.repository;
    parts.push(
      `## Repository\n\n${owner}/${name}${baseBranch ? ` (base branch \`${baseBranch}\`)` : ''}`,
    );
  }
  const instructions = (context.repoInstructions ?? []).filter((item) => item.text.trim() !== '');
  if (instructions.length > 0) {
    parts.push(
      [
        "## The repository's instructions",
        "The repository's maintainers wrote these files for agents working in it. Follow their conventions (style, commands, layout) where they do not conflict with your rules above.",
        ...instructions.map((item) => fence(`repository file ${item.file}`, clip(item.text))),
      ].join('\n\n'),
    );
  }
  return parts.join('\n\n');
}

function userPrompt(context: PromptContext): string {
  const parts = [`## Your job\n\n${context.job.trim()}`];
  if (context.epic) {
    const { number, title, body } = context.epic;
    parts.push(
      `## Epic #${number}\n\n${fence(`epic #${number} (title and body)`, `${title}\n\n${body}`)}`,
    );
  }
  if (context.task) {
    const { number, title, description, acceptanceCriteria, branch } = context.task;
    const criteria = (acceptanceCriteria ?? []).map((item) => `- ${item}`).join('\n');
    const text = [title, description, criteria ? `Acceptance criteria:\n${criteria}` : '']
      .filter((piece) => piece.trim() !== '')
      .join('\n\n');
    parts.push(
      `## Task #${number}${branch ? ` (branch \`${branch}\`)` : ''}\n\n${fence(`task #${number}`, text)}`,
    );
  }
  for (const item of context.material ?? []) {
    const text = item.verbatim ? revealHidden(item.text) : item.text;
    parts.push(`## ${item.label}\n\n${fence(item.label, text, { verbatim: item.verbatim })}`);
  }
  return parts.join('\n\n');
}

/**
 * Wraps text written by others. A closing tag inside the text is defused so
 * the text cannot end its own fence and speak as Factory.
 */
export function fence(source: string, text: string, options: { verbatim?: boolean } = {}): string {
  const safeSource = source.replace(/["<>]/g, '');
  // What people see on GitHub is what the agent gets: no hidden comments or
  // invisible characters to smuggle instructions past a reader.
  const visible = options.verbatim ? text : sanitizeForAgent(text);
  const safeText = visible.replace(/<(\/?)untrusted-data/gi, '<$1untrusted-data\u200b');
  return `<untrusted-data source="${safeSource}">\n${safeText.trim()}\n</untrusted-data>`;
}

function clip(text: string): string {
  if (text.length <= maxInstructionChars) return text;
  return `${text.slice(0, maxInstructionChars)}\n\n[… cut: the file is longer than ${maxInstructionChars} characters]`;
}
