import { sanitizeForAgent } from './sanitize.js';

/**
 * Whether a comment speaks to Factory: it starts with `/factory` or mentions
 * the bot. Everything else in a thread is conversation between people, which
 * agents may read as context but never take as an instruction.
 *
 * The check runs on what a person sees: hidden HTML comments and invisible
 * characters are removed first, and mentions inside code are not mentions.
 */

/** `factory-app[bot]` is mentioned as `@factory-app` (GitHub also accepts the full login). */
export function mentionName(botLogin: string): string {
  return botLogin.replace(/\[bot\]$/i, '');
}

export function startsWithCommand(text: string): boolean {
  return /^\/factory(?![\w-])/i.test(text.trimStart());
}

export function mentionsBot(text: string, botLogin: string): boolean {
  return mentionPattern(botLogin).test(withoutCode(text));
}

export function isAddressedToBot(body: string, botLogin: string): boolean {
  const visible = sanitizeForAgent(body);
  return startsWithCommand(visible) || mentionsBot(visible, botLogin);
}

/** The message without the mention that addressed it (`@factory-app please …` → `please …`). */
export function withoutBotMention(text: string, botLogin: string): string {
  return text
    .replace(new RegExp(mentionPattern(botLogin).source, 'gi'), '')
    .replace(/^[\s,:;]+/, '')
    .trim();
}

function mentionPattern(botLogin: string): RegExp {
  const name = escapeRegExp(mentionName(botLogin));
  // A login ends where a character that may continue it does not follow.
  return new RegExp(`(?<![\\w-])@${name}(?:\\[bot\\])?(?![\\w-])`, 'i');
}

function withoutCode(text: string): string {
  return text.replace(/```[\s\S]*?(?:```|$)/g, '').replace(/`[^`\n]*`/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
