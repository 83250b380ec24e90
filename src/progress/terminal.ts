// Issue 15 (5): log lines written straight to the terminal while progress bars redraw were
// overwritten by the next redraw (7 of 8 "full pass completed" lines lost). The logger writes here;
// while bars are on screen, lines go through the bars' own log(), which prints them above the bars.
import { Writable } from "node:stream";

export interface LinePrinter {
  log(text: string): void;
}

export class TerminalStream extends Writable {
  private printer: LinePrinter | undefined;

  constructor(private readonly out: NodeJS.WriteStream) {
    super();
  }

  /** pino-pretty colours only a TTY; this stream is one exactly when its terminal is. */
  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  /** Route lines through the bars (undefined: straight to the terminal again). */
  routeThrough(printer: LinePrinter | undefined): void {
    this.printer = printer;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = chunk.toString();
    if (this.printer) this.printer.log(text.endsWith("\n") ? text : `${text}\n`);
    else this.out.write(text);
    done();
  }
}
