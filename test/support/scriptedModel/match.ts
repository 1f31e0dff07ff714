import type { ModelRequest } from './request.js';

/** Chooses which script answers a request. `label` names it in recorded requests and errors. */
export interface Matcher {
  label: string;
  test(request: ModelRequest): boolean;
}

const make = (label: string, test: (request: ModelRequest) => boolean): Matcher => ({
  label,
  test,
});

export const match = {
  /** Every request. Register it last: the first matching script wins. */
  always: (): Matcher => make('always', () => true),
  /** The user's text (the prompt and later user messages, not tool results) contains `text`. */
  promptIncludes: (text: string): Matcher =>
    make(`prompt includes ${JSON.stringify(text)}`, (request) => request.promptText.includes(text)),
  systemIncludes: (text: string): Matcher =>
    make(`system includes ${JSON.stringify(text)}`, (request) => request.system.includes(text)),
  /** The latest tool result contains `text`. */
  lastToolResultIncludes: (text: string): Matcher =>
    make(`last tool result includes ${JSON.stringify(text)}`, (request) =>
      (request.lastToolResult?.content ?? '').includes(text),
    ),
  /** The n-th call of a conversation (0 = the first). */
  turn: (index: number): Matcher => make(`turn ${index}`, (request) => request.turnIndex === index),
  /** A tool of this exact name is offered. */
  offersTool: (name: string): Matcher =>
    make(`offers tool ${name}`, (request) => request.toolNames.includes(name)),
  model: (model: string): Matcher =>
    make(`model ${model}`, (request) => request.body.model === model),
  all: (...matchers: Matcher[]): Matcher =>
    make(matchers.map((m) => m.label).join(' and '), (request) =>
      matchers.every((m) => m.test(request)),
    ),
  any: (...matchers: Matcher[]): Matcher =>
    make(matchers.map((m) => m.label).join(' or '), (request) =>
      matchers.some((m) => m.test(request)),
    ),
  not: (matcher: Matcher): Matcher =>
    make(`not (${matcher.label})`, (request) => !matcher.test(request)),
  where: (label: string, test: (request: ModelRequest) => boolean): Matcher => make(label, test),
};
