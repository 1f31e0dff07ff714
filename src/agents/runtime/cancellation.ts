import { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * Cancelling a running agent. Each process keeps the abort handles of the
 * runs it hosts; a cancel said on any process (e.g. `/factory cancel` handled
 * by a web process) is published on Redis and reaches the process running the
 * agent, which aborts the run and its Claude Code subprocess.
 */

const running = new Map<number, Set<AbortController>>();

/** Registers a run's abort handle; returns the function that unregisters it. */
export function registerAgentRun(agentId: number, controller: AbortController): () => void {
  const handles = running.get(agentId) ?? new Set<AbortController>();
  handles.add(controller);
  running.set(agentId, handles);
  return () => {
    handles.delete(controller);
    if (handles.size === 0) running.delete(agentId);
  };
}

export class AgentCancelledError extends Error {
  override name = 'AgentCancelledError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Aborts the agent's runs in this process. Returns whether one was running here. */
export function cancelAgentRun(agentId: number, reason = 'cancelled'): boolean {
  const handles = running.get(agentId);
  if (!handles || handles.size === 0) return false;
  for (const controller of handles) controller.abort(new AgentCancelledError(reason));
  return true;
}

export function isAgentRunning(agentId: number): boolean {
  return (running.get(agentId)?.size ?? 0) > 0;
}

const cancelMessage = z.object({ agentId: z.number().int().positive(), reason: z.string() });

export function cancelChannel(prefix: string): string {
  return `${prefix}:agent-cancel`;
}

/** Says "cancel this agent" to every process (this one included, through its listener). */
export async function publishAgentCancel(
  redis: { publish(channel: string, message: string): Promise<unknown> },
  prefix: string,
  agentId: number,
  reason = 'cancelled',
): Promise<void> {
  await redis.publish(cancelChannel(prefix), JSON.stringify({ agentId, reason }));
}

export interface AgentCancelListener {
  close(): Promise<void>;
}

/**
 * Listens for cancels on Redis and aborts the matching local runs. Every
 * process that runs agents starts one (a subscribed connection can do nothing
 * else, hence its own connection).
 */
export async function startAgentCancelListener(options: {
  redisUrl: string;
  prefix: string;
  onCancel?: (agentId: number, hadRun: boolean) => void;
}): Promise<AgentCancelListener> {
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const channel = cancelChannel(options.prefix);
  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
    const parsed = cancelMessage.safeParse(safeJson(payload));
    if (!parsed.success) return;
    const hadRun = cancelAgentRun(parsed.data.agentId, parsed.data.reason);
    options.onCancel?.(parsed.data.agentId, hadRun);
  });
  await subscriber.subscribe(channel);
  return {
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

function safeJson(payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return undefined;
  }
}
