import { z } from 'zod';
import type { Database } from '../../db/connection.js';
import { recordDecision } from '../../db/decisions.js';
import { factoryToolName } from './factoryTools.js';
import { InvalidOutputError } from './runErrors.js';
import { failFinishedRun } from './runRecords.js';
import type { RunExtras } from './runner.js';
import type { AgentRunRequest, AgentRunResult, FactoryTool, StructuredRunResult } from './types.js';

/**
 * A run whose answer is a value (a plan, a review verdict). The agent hands
 * it over by calling the submit tool; the submission is validated with the
 * zod schema before the tool runs. The agent gets one corrective chance — an
 * invalid submission comes back to it with the problems, or, if it ended
 * without submitting, it is resumed once and asked to — and after that the
 * run fails with the reason.
 */

export interface SubmitSpec<T> {
  toolName: string;
  description: string;
  schema: z.ZodType<T>;
}

interface Runs {
  runWith(request: AgentRunRequest, extras: RunExtras): Promise<AgentRunResult>;
}

export async function runStructured<T>(
  runner: Runs,
  db: Database,
  request: AgentRunRequest,
  submit: SubmitSpec<T>,
): Promise<StructuredRunResult<T>> {
  let output: { value: T } | undefined;
  let corrections = 0;
  let lastProblem = '';
  let stop: ((reason: Error) => void) | undefined;
  const fullName = factoryToolName(submit.toolName);
  const submitTool: FactoryTool = {
    name: submit.toolName,
    description: submit.description,
    input: inputShape(submit.schema),
    handler: async (input) => {
      const parsed = submit.schema.safeParse(unwrap(submit.schema, input));
      if (!parsed.success) return `Invalid: ${describeIssues(parsed.error)}`;
      output = { value: parsed.data };
      return 'Received. Your result is recorded; finish now with a one-line summary.';
    },
  };
  const extras: RunExtras = {
    tools: [submitTool],
    controller: (abort) => {
      stop = abort;
    },
    intercept: (toolName, input) => {
      if (toolName !== fullName) return undefined;
      const parsed = submit.schema.safeParse(unwrap(submit.schema, input));
      if (parsed.success) return { allow: true };
      lastProblem = describeIssues(parsed.error);
      corrections += 1;
      if (corrections > 1) {
        stop?.(
          new InvalidOutputError(`The agent submitted an invalid result twice: ${lastProblem}`),
        );
      }
      return {
        allow: false,
        reason: `Invalid ${submit.toolName} input: ${lastProblem}. Call ${fullName} again with a corrected value; this is your last chance.`,
      };
    },
  };

  let result = await runner.runWith(request, extras);
  if (result.status === 'succeeded' && !output && corrections === 0 && result.sessionId) {
    corrections += 1;
    result = await runner.runWith(
      {
        ...request,
        purpose: `${request.purpose}:correction`,
        resumeSessionId: result.sessionId,
        prompt: `You finished without calling ${fullName}. Call it now with your result; this is your last chance.`,
      },
      extras,
    );
  }
  if (result.status !== 'succeeded') return result;
  if (!output) {
    const message = lastProblem
      ? `The agent's result was invalid: ${lastProblem}`
      : `The agent finished without submitting a result through ${fullName}.`;
    await failFinishedRun(db, request.agentId, result.runId, `invalid_output: ${message}`);
    await recordDecision(db, {
      agentId: request.agentId,
      epicId: request.context.epicId,
      taskId: request.context.taskId,
      decision: `${request.purpose} produced no valid result`,
      reasoning: message,
      context: { runId: result.runId },
    });
    return {
      ...result,
      status: 'failed',
      error: { kind: 'invalid_output', message, retryable: false },
    };
  }
  return { ...result, output: output.value };
}

/**
 * The tool's input as the model sees it: an object schema's own fields, or
 * any other schema under `value`.
 */
function inputShape(schema: z.ZodType): z.ZodRawShape {
  return schema instanceof z.ZodObject ? (schema.shape as z.ZodRawShape) : { value: schema };
}

function unwrap(schema: z.ZodType, input: Record<string, unknown>): unknown {
  return schema instanceof z.ZodObject ? input : input.value;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(value)'}: ${issue.message}`)
    .join('; ');
}
