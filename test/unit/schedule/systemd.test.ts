import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type CronSchedule, nextRun, parseScheduleExpression } from '#shared/schedule/expression.ts';
import { toSystemdTimer } from '#shared/schedule/systemd.ts';

const timer = (expr: string) => toSystemdTimer(parseScheduleExpression(expr));

describe('toSystemdTimer: rate', () => {
  it.each([
    ['rate(1 minute)', '1min', '1min'],
    ['rate(5 minutes)', '5min', '5min'],
    ['rate(90 minutes)', '5min', '90min'],
    ['rate(1 hour)', '5min', '1h'],
    ['rate(36 hours)', '5min', '36h'],
    ['rate(2 days)', '5min', '2d'],
  ])('%s → OnBootSec=%s OnUnitActiveSec=%s', (expr, OnBootSec, OnUnitActiveSec) => {
    expect(timer(expr)).toEqual({ OnBootSec, OnUnitActiveSec });
  });
});

const calendars: [string, string][] = [
  ['cron(0 3 * * ? *)', '*-*-* 03:00:00 UTC'],
  ['cron(* * * * ? *)', '*-*-* *:*:00 UTC'],
  ['cron(*/15 * * * ? *)', '*-*-* *:00,15,30,45:00 UTC'],
  ['cron(5/20 * * * ? *)', '*-*-* *:05,25,45:00 UTC'],
  ['cron(0 0/6 * * ? *)', '*-*-* 00,06,12,18:00:00 UTC'],
  ['cron(0,1,2,3,30-31 * * * ? *)', '*-*-* *:00..03,30,31:00 UTC'],
  ['cron(0 8-17 ? * MON-FRI *)', 'Mon..Fri *-*-* 08..17:00:00 UTC'],
  ['cron(0 12 ? * SUN,SAT *)', 'Sun,Sat *-*-* 12:00:00 UTC'],
  ['cron(0 12 ? * 1,2,4 *)', 'Sun,Mon,Wed *-*-* 12:00:00 UTC'],
  ['cron(0 12 ? * * *)', '*-*-* 12:00:00 UTC'],
  ['cron(30 1 1,15 * ? *)', '*-*-01,15 01:30:00 UTC'],
  ['cron(0 0 1/7 * ? *)', '*-*-01,08,15,22,29 00:00:00 UTC'],
  ['cron(0 0 31 * ? *)', '*-*-31 00:00:00 UTC'],
  ['cron(0 0 ? 1/3 MON *)', 'Mon *-01,04,07,10-* 00:00:00 UTC'],
  ['cron(0 0 29 FEB ? *)', '*-02-29 00:00:00 UTC'],
  ['cron(0 0 1 JAN-MAR,OCT ? 2026-2030)', '2026..2030-01..03,10-01 00:00:00 UTC'],
  ['cron(0 0 1 1 ? 2027)', '2027-01-01 00:00:00 UTC'],
];

describe('toSystemdTimer: cron', () => {
  it.each(calendars)('%s → OnCalendar=%s', (expr, OnCalendar) => {
    expect(timer(expr)).toEqual({ OnCalendar });
  });

  it('refuses a schedule that sets both day-of-month and day-of-week', () => {
    const both: CronSchedule = {
      ...(parseScheduleExpression('cron(0 0 1 * ? *)') as CronSchedule),
      daysOfWeek: [2],
    };
    expect(() => toSystemdTimer(both)).toThrow('day-of-month and day-of-week cannot both be set');
  });

  it('refuses values outside a field', () => {
    const bad: CronSchedule = {
      ...(parseScheduleExpression('cron(0 0 1 * ? *)') as CronSchedule),
      hours: [24],
    };
    expect(() => toSystemdTimer(bad)).toThrow('value 24 is out of range 0-23');
  });

  it('refuses a rate that is not whole minutes', () => {
    const odd = { ...parseScheduleExpression('rate(1 minute)'), intervalMs: 90_500 } as const;
    expect(() => toSystemdTimer(odd)).toThrow('a timer interval must be whole minutes');
  });
});

function systemdAnalyzeWorks(): boolean {
  try {
    execFileSync('systemd-analyze', ['calendar', '*-*-* 03:00:00 UTC'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Asks systemd itself (252 here, as on Amazon Linux 2023) when each OnCalendar elapses and compares
// that with nextRun, so the translation is checked against the real parser rather than our reading of it.
describe.runIf(systemdAnalyzeWorks())('OnCalendar agrees with nextRun (systemd-analyze)', () => {
  const iterations = 8;
  // Bases just before a year rollover and a leap day, where calendar arithmetic goes wrong first.
  const cases = ['2026-12-30T21:00:00Z', '2028-02-27T23:00:00Z', '2027-12-31T23:59:00Z'].flatMap((base) =>
    calendars.map(([expr, onCalendar]) => [base, expr, onCalendar] as const),
  );
  it.each(cases)('from %s: %s', (base, expr, onCalendar) => {
    const out = execFileSync(
      'systemd-analyze',
      [
        'calendar',
        `--iterations=${iterations}`,
        `--base-time=${base.replace('T', ' ').replace('Z', ' UTC')}`,
        onCalendar,
      ],
      { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', SYSTEMD_COLORS: '0' } },
    );
    const systemd = [...out.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\S+ \S+) UTC/g)].map(
      (m) => `${(m[1] ?? '').replace(' ', 'T')}.000Z`,
    );
    const schedule = parseScheduleExpression(expr);
    const ours: string[] = [];
    let at = new Date(base);
    for (let i = 0; i < systemd.length; i++) {
      at = nextRun(schedule, at);
      ours.push(at.toISOString());
    }
    expect(ours).toEqual(systemd);
    // Where systemd stops early ("never"), the schedule must be over for us too.
    if (systemd.length < iterations) expect(() => nextRun(schedule, at)).toThrow('has no run after');
  });
});

describe('toSystemdTimer: hand-made schedules', () => {
  it('refuses an empty field rather than running every day', () => {
    const empty: CronSchedule = {
      ...(parseScheduleExpression('cron(0 0 ? * MON *)') as CronSchedule),
      daysOfWeek: [],
    };
    expect(() => toSystemdTimer(empty)).toThrow('a schedule field has no values');
  });
});
