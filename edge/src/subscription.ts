import type { SymbolDirectory } from './symbol-directory.js';

/** What a client asked for: named symbols, whole sectors, or everything (`"*"`). */
export interface SubscriptionSpec {
  all: boolean;
  symbols: ReadonlySet<string>;
  sectors: ReadonlySet<string>;
}

export const EMPTY_SPEC: SubscriptionSpec = { all: false, symbols: new Set(), sectors: new Set() };

/** Canonical text of a spec: clients who asked for the same thing share a channel. */
export function specKey(spec: SubscriptionSpec): string {
  if (spec.all) return '*';
  return `${[...spec.symbols].sort().join(',')}|${[...spec.sectors].sort().join(',')}`;
}

export function isEmptySpec(spec: SubscriptionSpec): boolean {
  return !spec.all && spec.symbols.size === 0 && spec.sectors.size === 0;
}

export function addToSpec(
  spec: SubscriptionSpec,
  symbols: readonly string[],
  sectors: readonly string[],
): SubscriptionSpec {
  const all = spec.all || symbols.includes('*');
  return {
    all,
    symbols: all ? new Set() : new Set([...spec.symbols, ...symbols]),
    sectors: all ? new Set() : new Set([...spec.sectors, ...sectors]),
  };
}

export function removeFromSpec(
  spec: SubscriptionSpec,
  symbols: readonly string[],
  sectors: readonly string[],
): SubscriptionSpec {
  if (symbols.includes('*')) return EMPTY_SPEC;
  const keepSymbols = new Set(spec.symbols);
  for (const symbol of symbols) keepSymbols.delete(symbol);
  const keepSectors = new Set(spec.sectors);
  for (const sector of sectors) keepSectors.delete(sector);
  return { all: spec.all, symbols: keepSymbols, sectors: keepSectors };
}

/** Names in the spec that this edge does not know (a Subscribe naming one is refused). */
export function unknownNames(
  directory: SymbolDirectory,
  symbols: readonly string[],
  sectors: readonly string[],
): string[] {
  const unknown = symbols.filter((name) => name !== '*' && directory.idOf(name) === undefined);
  for (const sector of sectors) if (directory.sectorIds(sector) === undefined) unknown.push(`sector ${sector}`);
  return unknown;
}

/** The ids a spec covers now, ascending. Sector and `*` specs grow as new symbols appear. */
export function resolveSpec(spec: SubscriptionSpec, directory: SymbolDirectory): Uint16Array {
  if (spec.all) return Uint16Array.from(directory.names.keys());
  const ids = new Set<number>();
  for (const name of spec.symbols) {
    const id = directory.idOf(name);
    if (id !== undefined) ids.add(id);
  }
  for (const sector of spec.sectors) for (const id of directory.sectorIds(sector) ?? []) ids.add(id);
  return Uint16Array.from(ids).sort();
}
