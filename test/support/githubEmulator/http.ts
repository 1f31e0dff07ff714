import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { UserRecord } from './records.js';

/** An API error answered the way GitHub does: a status and `{ message }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

export const notFound = () => new HttpError(404, 'Not Found');

export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Who is calling: the App's bot (installation token) or a person (user token). */
  actor: UserRecord;
  /** Set when the call came with an installation token. */
  installationId: number | null;
}

export interface ApiResponse {
  status?: number;
  body?: unknown;
  /** Sent as is instead of JSON (diffs, raw file contents). */
  text?: { contentType: string; content: string };
  headers?: Record<string, string>;
}

export type Handler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/**
 * Routes in GitHub's own notation (`/repos/:owner/:repo/issues/:issue_number`);
 * a trailing `*name` takes the rest of the path (file paths, ref names).
 */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(method: string, pathname: string) {
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchSegments(route.segments, parts);
      if (params) return { handler: route.handler, params };
    }
    return undefined;
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.startsWith('*')) {
      if (index >= parts.length) return undefined;
      params[segment.slice(1)] = parts.slice(index).join('/');
      return params;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.startsWith(':')) params[segment.slice(1)] = part;
    else if (segment !== part) return undefined;
  }
  return segments.length === parts.length ? params : undefined;
}

/** Validates a request body; GitHub answers 422 with the field at fault. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.join('.'),
    code: 'invalid',
    message: issue.message,
  }));
  throw new HttpError(
    422,
    `Invalid request: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
    errors,
  );
}

/** `page` / `per_page` with a `Link` header, so Octokit's paginate() walks every page. */
export function paginate<T>(request: ApiRequest, items: T[], url: string): ApiResponse {
  const perPage = Math.min(Number(request.query.get('per_page') ?? 30) || 30, 100);
  const page = Math.max(Number(request.query.get('page') ?? 1) || 1, 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const headers: Record<string, string> = {};
  if (page < lastPage) {
    const link = (p: number) => {
      const query = new URLSearchParams(request.query);
      query.set('page', String(p));
      query.set('per_page', String(perPage));
      return `<${url}?${query.toString()}>`;
    };
    headers.link = `${link(page + 1)}; rel="next", ${link(lastPage)}; rel="last"`;
  }
  return { body: slice, headers };
}
