export type LogFields = Record<string, unknown>;
export type Logger = (message: string, fields?: LogFields) => void;

/** The agent's output: readable lines for a person, or one JSON object a line (`--json`) for tools. */
export function createLogger(json: boolean, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return (message, fields = {}) => {
    const time = new Date().toISOString();
    if (json) {
      write(`${JSON.stringify({ time, message, ...fields })}\n`);
      return;
    }
    const rest = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${time}  ${message}${rest ? `  ${rest}` : ''}\n`);
  };
}
