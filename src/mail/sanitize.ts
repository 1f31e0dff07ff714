/**
 * What a person wrote, made safe to give to an agent. GitHub renders none of
 * these characters visibly, so a reviewer reading the comment cannot see them —
 * yet a model reads every one. Stripping them means the agent is given exactly
 * the text a person sees.
 */

/** `<!-- … -->`, including one left open until the end of the text. */
const htmlComment = /<!--[\s\S]*?(?:-->|$)/g;

/**
 * Zero-width and other invisible format characters: soft hyphen, combining
 * grapheme joiner, Arabic letter mark, Mongolian vowel separator, zero-width
 * space/joiners, word joiner and invisible operators, BOM, interlinear
 * annotations, Hangul fillers.
 */
// The classes list joiners and combining marks on purpose: they are exactly what must go.
/* eslint-disable no-misleading-character-class */
const invisible =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200D\u2060-\u2064\u206A-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]/g;

/** Bidirectional controls: marks, embeddings, overrides and isolates (the "Trojan Source" set). */
const bidiControls = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Unicode tag characters and the supplementary variation selectors: whole hidden sentences fit in them. */
const hiddenPlanes = /[\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
/* eslint-enable no-misleading-character-class */

/** C0 and C1 control characters other than tab and newline. */
// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

export function sanitizeForAgent(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(htmlComment, '')
    .replace(invisible, '')
    .replace(bidiControls, '')
    .replace(hiddenPlanes, '')
    .replace(controls, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Code under review, made safe to show without changing it: hidden comments
 * stay (they are code), but every invisible, bidirectional or hidden-plane
 * character is shown as its code point, so a reviewer sees a "Trojan Source"
 * trick instead of being fooled by it.
 */
export function revealHidden(text: string): string {
  const show = (char: string) =>
    `<U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`;
  return text.replace(invisible, show).replace(bidiControls, show).replace(hiddenPlanes, show);
}
