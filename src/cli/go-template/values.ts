/** Go values as templates see them: structs (goStruct), maps, printing and truth. */
const GO_TYPE: unique symbol = Symbol('goType');

/** Marks an object as a Go struct: an unknown field is an error naming typeName, as in Go. */
export function goStruct<T extends object>(typeName: string, fields: T): T {
  Object.defineProperty(fields, GO_TYPE, { value: typeName, enumerable: false });
  return fields;
}

export function structType(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? (v as { [GO_TYPE]?: string })[GO_TYPE] : undefined;
}

/** Go's fmt %v of a value that came from JSON or a struct. */
export function goPrint(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((x) => goPrint(x)).join(' ')}]`;
  const obj = v as Record<string, unknown>;
  if (structType(obj) !== undefined) return `{${Object.values(obj).filter((x) => typeof x !== 'function').map((x) => goPrint(x)).join(' ')}}`;
  return `map[${Object.keys(obj).sort().map((k) => `${k}:${goPrint(obj[k])}`).join(' ')}]`;
}

/** Go's truth: false, 0, nil and empty strings, slices and maps are false; structs are true. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && structType(v) === undefined) return Object.keys(v).length > 0;
  return true;
}

export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return structType(v) ?? 'map[string]interface {}';
}
