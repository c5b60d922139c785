/** Symbol ids are ushort on the wire (docs/protocol.md), so an edge knows at most this many. */
export const MAX_SYMBOL_IDS = 65_536;

/**
 * Names ↔ ids for one epoch of an edge. Ids are given in order of first sight and never reused,
 * so a client's ids stay valid for as long as it talks to this edge process.
 */
export class SymbolDirectory {
  readonly names: string[] = [];
  readonly sectors: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly bySector = new Map<string, number[]>();

  constructor(readonly capacity: number) {
    if (capacity > MAX_SYMBOL_IDS) throw new RangeError(`at most ${MAX_SYMBOL_IDS} symbols fit a ushort id`);
  }

  get size(): number {
    return this.names.length;
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** The symbol's id, adding it when new; -1 when the directory is full. */
  intern(name: string, sector: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (this.names.length >= this.capacity) return -1;
    const id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    this.sectors.push(sector);
    let members = this.bySector.get(sector);
    if (members === undefined) {
      members = [];
      this.bySector.set(sector, members);
    }
    members.push(id);
    return id;
  }

  /** Ids of a sector's symbols, ascending; undefined for a sector never seen. */
  sectorIds(sector: string): readonly number[] | undefined {
    return this.bySector.get(sector);
  }

  sectorNames(): string[] {
    return [...this.bySector.keys()].sort();
  }
}
