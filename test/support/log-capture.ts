/** A bridge logger whose lines (JSON, as production writes them) are kept for a test to inspect. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger';

export function capturingLogger(lines: string[]): Logger {
  return createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
}
