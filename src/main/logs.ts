import fs from 'node:fs';
import path from 'node:path';

/** A log file in the data directory, rotated by size: switchyard.log, switchyard.log.1 ... .keep */
export class RotatingLog {
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes = 5 * 1024 * 1024,
    private readonly keep = 3,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  }

  write(line: string): void {
    const text = `${new Date().toISOString()} ${line}\n`;
    if (this.size + text.length > this.maxBytes) this.rotate();
    fs.appendFileSync(this.file, text);
    this.size += Buffer.byteLength(text);
  }

  private rotate(): void {
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${i + 1}`);
    }
    if (fs.existsSync(this.file)) fs.renameSync(this.file, `${this.file}.1`);
    const extra = `${this.file}.${this.keep + 1}`;
    if (fs.existsSync(extra)) fs.rmSync(extra);
    this.size = 0;
  }
}
