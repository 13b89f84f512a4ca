import { writeFileSync } from 'node:fs';
import { runCli } from './cli';

// The edge of the program: the only place that touches the process, the file system and the clock.
process.exitCode = runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    writeFile: (path, content) => writeFileSync(path, content, 'utf8'),
  },
  () => performance.now(),
);
