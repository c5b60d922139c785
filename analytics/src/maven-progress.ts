/**
 * Follows Maven's batch-mode transfer lines to say how far a cold resolution is:
 *   [INFO] Downloading from central: https://…/flink-core-2.3.0.jar
 *   [INFO] Downloaded from central: https://…/flink-core-2.3.0.jar (2.1 MB at 5.3 MB/s)
 * Maven announces jars as it discovers them, so the total can still grow while it works.
 */
export class MavenProgress {
  private readonly started = new Set<string>();
  private readonly finished = new Set<string>();
  private bytes = 0;

  /** Takes one line of Maven's output; true when it changed the counts. */
  read(line: string): boolean {
    const match =
      /^(?:\[INFO\] )?(Downloading|Downloaded) from [^:]+: (\S+\.jar)(?: \(([\d.]+) (B|kB|KB|MB|GB)\b)?/.exec(
        line.trim(),
      );
    if (!match) return false;
    const [, verb, url = '', size, unit] = match;
    if (verb === 'Downloading') {
      this.started.add(url);
      return true;
    }
    this.started.add(url);
    this.finished.add(url);
    this.bytes += Number(size ?? 0) * (unit === 'GB' ? 1e9 : unit === 'MB' ? 1e6 : unit === 'B' ? 1 : 1e3);
    return true;
  }

  get jarsDone(): number {
    return this.finished.size;
  }

  get jarsTotal(): number {
    return this.started.size;
  }

  get megabytes(): number {
    return this.bytes / 1e6;
  }

  describe(): string {
    return `${this.jarsDone}/${this.jarsTotal} jars, ${this.megabytes.toFixed(1)} MB`;
  }
}
