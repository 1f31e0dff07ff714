import { z } from 'zod';

/** What the supervisor returns after reviewing a PR (validated; one corrective turn on bad output). */
export const reviewVerdictSchema = z.object({
  verdict: z.enum(['APPROVE', 'REQUEST_CHANGES']),
  summary: z.string().min(1).max(20_000),
  comments: z
    .array(
      z.object({
        path: z.string().min(1),
        line: z.number().int().positive(),
        body: z.string().min(1).max(10_000),
      }),
    )
    .max(50)
    .default([]),
});

export type ReviewVerdict = z.infer<typeof reviewVerdictSchema>;
export type LineComment = ReviewVerdict['comments'][number];
