/** One log line as every tier writes it (docs/operations.md, "Logs"). */
export interface LogLine {
  level: string;
  time: string;
  component: string;
  instance: string;
  msg: string;
  conn?: string;
  req?: string;
  orderId?: string;
  [field: string]: unknown;
}

const LEVEL = /^(trace|debug|info|warn|error|fatal)$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A process's stdout read as a log pipeline reads it: every non-empty line one JSON object with
 * level, time, component, instance and msg. Throws on the first line that is not, quoting it.
 * A last line still being written (no newline yet) is left out.
 */
export function logLines(stdout: string, who: string): LogLine[] {
  return stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      let entry: Partial<LogLine>;
      try {
        entry = JSON.parse(line) as Partial<LogLine>;
      } catch {
        throw new Error(`${who} wrote a line that is not JSON: ${line}`);
      }
      const problems = [
        LEVEL.test(String(entry.level)) ? '' : 'level',
        ISO_TIME.test(String(entry.time)) ? '' : 'time',
        typeof entry.component === 'string' && entry.component !== '' ? '' : 'component',
        typeof entry.instance === 'string' && entry.instance !== '' ? '' : 'instance',
        typeof entry.msg === 'string' ? '' : 'msg',
      ].filter((field) => field !== '');
      if (problems.length > 0) throw new Error(`${who} wrote a line without a valid ${problems.join(', ')}: ${line}`);
      return entry as LogLine;
    });
}
