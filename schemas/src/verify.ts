import { ProtocolError } from './protocol-error.js';

/**
 * A structural verifier for the FlatBuffers we decode. flatbuffers' generated accessors trust
 * their input: an offset or a vector length read from hostile bytes would read garbage or
 * loop for billions of steps. This walks every table, string and vector a decoder will touch
 * and checks it lies inside the buffer, before any accessor runs.
 */
export type FieldSpec =
  | { kind: 'scalar'; size: 1 | 2 | 4 | 8 }
  | { kind: 'struct'; size: number }
  | { kind: 'string' }
  | { kind: 'table'; table: TableSpec }
  | { kind: 'vector'; elementSize: number }
  | { kind: 'string-vector' }
  | { kind: 'table-vector'; table: TableSpec }
  /** The type slot of a union; the next slot holds its value. */
  | { kind: 'union-type' }
  | { kind: 'union-value'; tables: readonly (TableSpec | undefined)[] };

export interface TableSpec {
  name: string;
  /** Indexed by vtable slot, in declaration order (a union takes two slots). */
  fields: readonly FieldSpec[];
}

const MAX_DEPTH = 8;

export function verifyRoot(bytes: Uint8Array, root: TableSpec): void {
  if (bytes.length < 8) throw malformed(`${bytes.length} bytes is too short for a ${root.name}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rootOffset = view.getUint32(0, true);
  verifyTable(view, rootOffset, root, 0);
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('malformed-flatbuffer', message);
}

/**
 * Where a check is, as its parts: the message is put together only when a check fails. A string
 * per field verified was most of what decoding a record allocated (heap sampling of an edge
 * reading `system_metrics`).
 * - `slot` -1: the table itself, `detail` says which part ('table', 'vtable');
 * - else its field `slot`, element `index` of a vector (-1: none), and `detail` of `count`
 *   ('vector', 'string'; '' for the field itself).
 */
function place(name: string, slot: number, index: number, detail: string, count: number): string {
  if (slot < 0) return `${name} ${detail}`;
  const element = index < 0 ? '' : `[${index}]`;
  return `${name} field ${slot}${element}${detail === '' ? '' : ` ${detail} of ${count}`}`;
}

function inBounds(
  view: DataView,
  position: number,
  size: number,
  name: string,
  slot: number,
  index = -1,
  detail = '',
  count = 0,
): void {
  if (position < 0 || size < 0 || position + size > view.byteLength) {
    throw malformed(
      `${place(name, slot, index, detail, count)} at ${position} (+${size}) lies outside the ${view.byteLength}-byte buffer`,
    );
  }
}

function verifyTable(view: DataView, table: number, spec: TableSpec, depth: number): void {
  const name = spec.name;
  if (depth > MAX_DEPTH) throw malformed(`tables nested deeper than ${MAX_DEPTH}`);
  inBounds(view, table, 4, name, -1, -1, 'table');
  const vtable = table - view.getInt32(table, true);
  inBounds(view, vtable, 4, name, -1, -1, 'vtable');
  const vtableSize = view.getUint16(vtable, true);
  const tableSize = view.getUint16(vtable + 2, true);
  if (vtableSize < 4 || vtableSize % 2 !== 0) throw malformed(`${name} vtable size ${vtableSize} is invalid`);
  inBounds(view, vtable, vtableSize, name, -1, -1, 'vtable');
  inBounds(view, table, tableSize, name, -1, -1, 'table');
  const slots = (vtableSize - 4) / 2;

  let unionType = 0;
  for (let slot = 0; slot < spec.fields.length; slot++) {
    const field = spec.fields[slot] as FieldSpec;
    const fieldOffset = slot < slots ? view.getUint16(vtable + 4 + slot * 2, true) : 0;
    if (fieldOffset === 0) {
      if (field.kind === 'union-type') unionType = 0;
      continue;
    }
    const at = table + fieldOffset;
    switch (field.kind) {
      case 'scalar':
        inBounds(view, at, field.size, name, slot);
        break;
      case 'struct':
        inBounds(view, at, field.size, name, slot);
        break;
      case 'union-type':
        inBounds(view, at, 1, name, slot);
        unionType = view.getUint8(at);
        break;
      default:
        verifyReference(view, at, field, unionType, name, slot, depth);
    }
  }
}

function target(view: DataView, at: number, name: string, slot: number): number {
  inBounds(view, at, 4, name, slot);
  return at + view.getUint32(at, true);
}

function verifyReference(
  view: DataView,
  at: number,
  field: FieldSpec,
  unionType: number,
  name: string,
  slot: number,
  depth: number,
): void {
  const to = target(view, at, name, slot);
  switch (field.kind) {
    case 'string':
      verifyString(view, to, name, slot, -1);
      return;
    case 'table':
      verifyTable(view, to, field.table, depth + 1);
      return;
    case 'vector': {
      const length = vectorLength(view, to, field.elementSize, name, slot);
      inBounds(view, to + 4, length * field.elementSize, name, slot);
      return;
    }
    case 'string-vector': {
      const length = vectorLength(view, to, 4, name, slot);
      for (let i = 0; i < length; i++) verifyString(view, target(view, to + 4 + i * 4, name, slot), name, slot, i);
      return;
    }
    case 'table-vector': {
      const length = vectorLength(view, to, 4, name, slot);
      for (let i = 0; i < length; i++)
        verifyTable(view, target(view, to + 4 + i * 4, name, slot), field.table, depth + 1);
      return;
    }
    case 'union-value': {
      const spec = field.tables[unionType];
      if (!spec)
        throw new ProtocolError(
          'unknown-message',
          `${place(name, slot, -1, '', 0)}: unknown message type ${unionType}`,
        );
      verifyTable(view, to, spec, depth + 1);
      return;
    }
    default:
      throw malformed(`${place(name, slot, -1, '', 0)}: unexpected field kind ${field.kind}`);
  }
}

function vectorLength(view: DataView, vector: number, elementSize: number, name: string, slot: number): number {
  inBounds(view, vector, 4, name, slot);
  const length = view.getUint32(vector, true);
  // Checked before any loop runs over it: a hostile length is refused here, never iterated.
  inBounds(view, vector + 4, length * elementSize, name, slot, -1, 'vector', length);
  return length;
}

function verifyString(view: DataView, string: number, name: string, slot: number, index: number): void {
  inBounds(view, string, 4, name, slot, index);
  const length = view.getUint32(string, true);
  inBounds(view, string + 4, length + 1, name, slot, index, 'string', length);
}

/** A union value the verifier allowed to be absent; a message type without its message is malformed. */
export function present<T>(message: T | null): T {
  if (message === null) throw malformed('frame names a message type but carries no message');
  return message;
}
