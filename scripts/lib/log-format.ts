/** pino's numeric levels, as the runner prints them. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const SKIP = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/**
 * One pino JSON line as a short human line, prefixed with the process name so that the logs
 * of every service can share one terminal. Anything that is not pino JSON passes through.
 */
export function formatLogLine(name: string, line: string, colour: boolean): string {
  // Wide enough for `realtime-relay-16`, and always a space before the level.
  const prefix = `${name.padEnd(17)} `;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${prefix}${line}`;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return `${prefix}${line}`;
  const level = entry.level;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const extras = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const text = `${time} ${prefix}${LEVELS[level] ?? level} ${String(entry.msg ?? '')}${extras ? `  ${extras}` : ''}`;
  const c = colour ? COLOURS[level] : undefined;
  return c ? `${c}${text}\x1b[0m` : text;
}
