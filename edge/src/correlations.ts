import type { BarTimeframe, CorrelationMatrixFields } from '@tickstream/schemas';

/** Distinct matrices (group × timeframe × window) an edge keeps; beyond, the least recently updated goes. */
const MAX_MATRICES = 256;
/** Most symbols a requested set may name (a 200 × 200 sub-matrix is 160 KB of floats). */
export const MAX_SET_SYMBOLS = 200;
/** The group name of a sub-matrix the edge assembles for a set of symbols. */
export const SET_GROUP = 'set';

/** What a client asks for: a group's matrix, or the sub-matrix of a set of symbols. */
export interface CorrelationRequest {
  /** "sector:<name>" or "all"; '' when `symbols` names a set. */
  group: string;
  symbols: readonly string[];
  /** Timeframe and BarTimeframe share their numbers (0 = 1s … 6 = 1d). */
  timeframe: number;
  /** 0: the longest window the job computes at this timeframe. */
  windowBars: number;
}

interface Stored {
  matrix: CorrelationMatrixFields;
  /** Symbol → row, for assembling sub-matrices. */
  index: Map<string, number>;
}

export interface MatrixSummary {
  group: string;
  timeframe: number;
  windowBars: number;
  endTimeUs: number;
  symbols: number;
}

/**
 * The newest correlation matrix of every group, timeframe and window the analytics job writes
 * (`correlations`), and sub-matrices for a chosen set of symbols, assembled from whichever of
 * them ("all" first, then the sectors) holds each pair: the job computes the correlations, the
 * edge only picks them out. A pair no matrix holds is NaN, never estimated.
 */
export class CorrelationStore {
  private readonly matrices = new Map<string, Stored>();

  put(matrix: CorrelationMatrixFields): void {
    const key = `${matrix.group}\u0000${matrix.timeframe}\u0000${matrix.windowBars}`;
    const known = this.matrices.get(key);
    if (known !== undefined && known.matrix.endTimeUs > matrix.endTimeUs) return;
    // Re-inserted, so the Map's order is least recently updated first.
    this.matrices.delete(key);
    this.matrices.set(key, { matrix, index: new Map(matrix.symbols.map((symbol, row) => [symbol, row])) });
    if (this.matrices.size > MAX_MATRICES) this.matrices.delete(this.matrices.keys().next().value as string);
  }

  get size(): number {
    return this.matrices.size;
  }

  list(): MatrixSummary[] {
    return [...this.matrices.values()]
      .map(({ matrix }) => ({
        group: matrix.group,
        timeframe: matrix.timeframe,
        windowBars: matrix.windowBars,
        endTimeUs: matrix.endTimeUs,
        symbols: matrix.symbols.length,
      }))
      .sort((a, b) => a.group.localeCompare(b.group) || a.timeframe - b.timeframe || a.windowBars - b.windowBars);
  }

  /** The matrix a request asks for, or undefined when the job has written none that fits. */
  resolve(request: CorrelationRequest): CorrelationMatrixFields | undefined {
    const window = request.windowBars === 0 ? this.longestWindow(request) : request.windowBars;
    if (window === undefined) return undefined;
    if (request.group !== '')
      return this.matrices.get(`${request.group}\u0000${request.timeframe}\u0000${window}`)?.matrix;
    return this.subMatrix(request.symbols, request.timeframe, window);
  }

  /** Whether a new matrix can change what `request` resolves to. */
  concerns(request: CorrelationRequest, matrix: CorrelationMatrixFields): boolean {
    if (matrix.timeframe !== request.timeframe) return false;
    if (request.windowBars !== 0 && matrix.windowBars !== request.windowBars) return false;
    if (request.group !== '') return matrix.group === request.group;
    return request.symbols.some((symbol) => matrix.symbols.includes(symbol));
  }

  private longestWindow(request: CorrelationRequest): number | undefined {
    let longest: number | undefined;
    for (const { matrix } of this.matrices.values()) {
      if (matrix.timeframe !== request.timeframe) continue;
      if (request.group !== '' && matrix.group !== request.group) continue;
      if (request.group === '' && !request.symbols.some((symbol) => matrix.symbols.includes(symbol))) continue;
      if (longest === undefined || matrix.windowBars > longest) longest = matrix.windowBars;
    }
    return longest;
  }

  private subMatrix(
    symbols: readonly string[],
    timeframe: number,
    windowBars: number,
  ): CorrelationMatrixFields | undefined {
    // "all" first: one matrix over every symbol is the most consistent source for any pair.
    const sources = [...this.matrices.values()]
      .filter(({ matrix }) => matrix.timeframe === timeframe && matrix.windowBars === windowBars)
      .sort((a, b) => Number(b.matrix.group === 'all') - Number(a.matrix.group === 'all'));
    if (sources.length === 0) return undefined;
    const n = symbols.length;
    const values = new Float32Array(n * n).fill(Number.NaN);
    let endTimeUs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        for (const { matrix, index } of sources) {
          const row = index.get(symbols[i] as string);
          const column = index.get(symbols[j] as string);
          if (row === undefined || column === undefined) continue;
          const value = matrix.values[row * matrix.symbols.length + column] as number;
          values[i * n + j] = value;
          values[j * n + i] = value;
          endTimeUs = Math.min(endTimeUs, matrix.endTimeUs);
          break;
        }
      }
    }
    if (endTimeUs === Number.POSITIVE_INFINITY) return undefined;
    return {
      group: SET_GROUP,
      timeframe: timeframe as BarTimeframe,
      windowBars,
      endTimeUs,
      symbols: [...symbols],
      values,
    };
  }
}
