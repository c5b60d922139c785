import { describe, expect, it } from 'vitest';
import { MavenProgress } from './maven-progress.js';

describe('MavenProgress', () => {
  it("counts jars from Maven's batch-mode transfer lines, and only jars", () => {
    const progress = new MavenProgress();
    const base = 'https://repo.maven.apache.org/maven2/org/apache/flink';
    // As `mvn -B` prints them (Maven 3.8: with the level prefix).
    const lines = [
      `[INFO] Downloading from central: ${base}/flink-core/2.3.0/flink-core-2.3.0.pom`,
      `[INFO] Downloaded from central: ${base}/flink-core/2.3.0/flink-core-2.3.0.pom (12 kB at 40 kB/s)`,
      `[INFO] Downloading from central: ${base}/flink-core/2.3.0/flink-core-2.3.0.jar`,
      `[INFO] Downloading from central: ${base}/flink-cep/2.3.0/flink-cep-2.3.0.jar`,
      `[INFO] Downloaded from central: ${base}/flink-core/2.3.0/flink-core-2.3.0.jar (2.1 MB at 5.3 MB/s)`,
      '[INFO] Building tickstream-analytics 0.1.0',
    ];
    const changed = lines.map((line) => progress.read(line));
    expect(changed).toEqual([false, false, true, true, true, false]);
    expect(progress.describe()).toBe('1/2 jars, 2.1 MB');
    progress.read(`Downloaded from central: ${base}/flink-cep/2.3.0/flink-cep-2.3.0.jar (233 kB at 1 MB/s)`);
    expect(progress.read('Downloading from central: https://repo/x.jar')).toBe(true);
    expect(progress.describe()).toBe('2/3 jars, 2.3 MB');
  });
});
