import { appendFileSync } from 'node:fs';

// Keys every Powertools record carries; the short line leaves them out.
const STANDARD_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'messageId',
]);
const MAX_VALUE = 80;
const MAX_LINE = 220;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function valueText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return clip(/\s/.test(text) ? JSON.stringify(text) : text, MAX_VALUE);
}

/** What a line a handler wrote to stdout is: a log record, an EMF metrics record, or neither. */
export function classifyLine(line: string): 'log' | 'metrics' | 'other' {
  if (!line.startsWith('{')) return 'other';
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    if ('_aws' in record) return 'metrics';
    return typeof record.level === 'string' && 'message' in record ? 'log' : 'other';
  } catch {
    return 'other';
  }
}

/**
 * A handler's JSON log record as one short line for a person: time (UTC), level when it is not
 * INFO, the message, then the record's own fields as key=value.
 */
export function shortLogLine(line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  const time = typeof record.timestamp === 'string' ? record.timestamp.slice(11, 19) : '--:--:--';
  const level = record.level === 'INFO' ? '' : ` ${String(record.level)}`;
  const fields = Object.entries(record)
    .filter(([k, v]) => !STANDARD_KEYS.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${valueText(v)}`);
  return clip(
    `${time}${level} ${String(record.message)}${fields.length ? `  ${fields.join(' ')}` : ''}`,
    MAX_LINE,
  );
}

export interface LogRouting {
  /** Print handlers' JSON lines as they are (else: one short line each, metrics left out). */
  readonly json: boolean;
  /** Print nothing for them on stdout. */
  readonly quiet: boolean;
  /** Also append every record, logs and metrics, to this file as JSON lines. */
  readonly logFile?: string;
}

/**
 * The local pipeline runs every handler in this process, and handlers log to stdout as they do in
 * Lambda. This takes over stdout so that their records go where `logvault dev` was told to send
 * them; the returned function writes the command's own lines, which pass untouched.
 */
export function routeHandlerLogs(routing: LogRouting): (text: string) => void {
  const write = process.stdout.write.bind(process.stdout) as (chunk: string) => boolean;
  let pending = '';
  const route = (line: string) => {
    const kind = classifyLine(line);
    if (kind === 'other') return void write(`${line}\n`);
    if (routing.logFile) appendFileSync(routing.logFile, `${line}\n`);
    if (routing.quiet) return;
    if (routing.json) write(`${line}\n`);
    else if (kind === 'log') write(`${shortLogLine(line)}\n`);
  };
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      route(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return (text) => void write(text);
}
