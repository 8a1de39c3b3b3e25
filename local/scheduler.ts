import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { nextRun, parseScheduleExpression } from '#shared/schedule/expression.ts';
import type { ScheduleTrigger } from './functions.ts';

/** The event EventBridge sends a function when its schedule fires. */
export function scheduledEvent(trigger: ScheduleTrigger, at: Date, region: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:123456789012:rule/${trigger.ruleName}`],
    detail: {},
  };
}

/**
 * Fires each schedule at its next run time, like EventBridge (whose schedules moto stores but
 * never fires). Each trigger is re-armed after it fires; a failing run is reported, not retried.
 */
export function startSchedules(
  triggers: ScheduleTrigger[],
  opts: { region: string; onRun?: (t: ScheduleTrigger, error?: unknown) => void },
): { stop(): void; fire(ruleOrFunction: string): Promise<unknown> } {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const run = async (t: ScheduleTrigger, at: Date) => {
    try {
      const result = await t.fn.invoke(t.input ?? scheduledEvent(t, at, opts.region));
      opts.onRun?.(t);
      return result;
    } catch (error) {
      opts.onRun?.(t, error);
      throw error;
    }
  };
  const arm = (t: ScheduleTrigger) => {
    if (stopped) return;
    const schedule = parseScheduleExpression(t.expression);
    const at = nextRun(schedule, new Date());
    // setTimeout holds at most ~24.8 days; longer waits re-arm at the cap.
    const delay = Math.min(at.getTime() - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (Date.now() >= at.getTime()) run(t, at).catch(() => undefined);
      arm(t);
    }, delay);
    timer.unref();
    timers.add(timer);
  };
  for (const t of triggers) arm(t);
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    },
    async fire(name) {
      const t = triggers.find((x) => x.ruleName === name || x.fn.name === name || x.fn.logicalId === name);
      if (!t) throw new Error(`no schedule named ${name}`);
      return run(t, new Date());
    },
  };
}
