/**
 * A fast yes/no check, compiled from a zod schema, that a value already is exactly what the
 * schema's parse would return: every type and check holds, no default is missing, no key is
 * unknown. Where it says yes, the value can be used as parsed; where it says no (or the
 * schema uses a kind it does not know: transforms, refinements, unions…), the caller runs
 * the full zod parse, which fills defaults and gives zod's errors.
 *
 * Why: zod v3 costs a few hundred microseconds per container record, cold, and a listing
 * reads every record in a fresh CLI process; the records berth wrote itself pass this check.
 */
import type { ZodTypeAny } from 'zod';

type Check = (v: unknown) => boolean;

interface ZodDefLike {
  typeName?: string;
  checks?: Array<{ kind: string; value?: number; inclusive?: boolean; regex?: RegExp }>;
  values?: readonly string[];
  innerType?: ZodTypeAny;
  type?: ZodTypeAny;
  valueType?: ZodTypeAny;
  keyType?: ZodTypeAny;
  items?: ZodTypeAny[];
  rest?: ZodTypeAny | null;
  shape?: () => Record<string, ZodTypeAny>;
  unknownKeys?: string;
  catchall?: ZodTypeAny;
  exactLength?: unknown;
  minLength?: unknown;
  maxLength?: unknown;
  coerce?: boolean;
}

const NEVER: Check = () => false;

function defOf(schema: ZodTypeAny): ZodDefLike {
  return schema._def as ZodDefLike;
}

function stringCheck(def: ZodDefLike): Check {
  const tests: Check[] = [];
  for (const c of def.checks ?? []) {
    if (c.kind === 'regex' && c.regex) {
      const re = new RegExp(c.regex.source, c.regex.flags.replace('g', ''));
      tests.push((v) => re.test(v as string));
    } else if (c.kind === 'min' && c.value !== undefined) tests.push((v) => (v as string).length >= c.value!);
    else if (c.kind === 'max' && c.value !== undefined) tests.push((v) => (v as string).length <= c.value!);
    else return NEVER;
  }
  return (v) => typeof v === 'string' && tests.every((t) => t(v));
}

function numberCheck(def: ZodDefLike): Check {
  const tests: Check[] = [];
  for (const c of def.checks ?? []) {
    if (c.kind === 'int') tests.push((v) => Number.isInteger(v));
    else if (c.kind === 'min' && c.value !== undefined) tests.push(c.inclusive ? (v) => (v as number) >= c.value! : (v) => (v as number) > c.value!);
    else if (c.kind === 'max' && c.value !== undefined) tests.push(c.inclusive ? (v) => (v as number) <= c.value! : (v) => (v as number) < c.value!);
    else return NEVER;
  }
  return (v) => typeof v === 'number' && Number.isFinite(v) && tests.every((t) => t(v));
}

function objectCheck(def: ZodDefLike): Check {
  // Only zod's default "strip" objects: an unknown key would be dropped by parse, so the value differs.
  if (def.unknownKeys !== 'strip' || !def.shape || (def.catchall && defOf(def.catchall).typeName !== 'ZodNever')) return NEVER;
  const fields = Object.entries(def.shape()).map(([key, s]) => {
    const d = defOf(s);
    return { key, check: compile(s), mayBeAbsent: d.typeName === 'ZodOptional' };
  });
  const known = new Set(fields.map((f) => f.key));
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const obj = v as Record<string, unknown>;
    for (const k in obj) if (!known.has(k)) return false;
    for (const f of fields) {
      if (!Object.prototype.hasOwnProperty.call(obj, f.key)) {
        if (!f.mayBeAbsent) return false;
        continue;
      }
      if (!f.check(obj[f.key])) return false;
    }
    return true;
  };
}

function compile(schema: ZodTypeAny): Check {
  const def = defOf(schema);
  if (def.coerce) return NEVER;
  switch (def.typeName) {
    case 'ZodString':
      return stringCheck(def);
    case 'ZodNumber':
      return numberCheck(def);
    case 'ZodBoolean':
      return (v) => typeof v === 'boolean';
    case 'ZodNull':
      return (v) => v === null;
    case 'ZodUnknown':
    case 'ZodAny':
      return () => true;
    case 'ZodEnum': {
      const values = new Set(def.values ?? []);
      return (v) => typeof v === 'string' && values.has(v);
    }
    case 'ZodNullable': {
      const inner = compile(def.innerType!);
      return (v) => v === null || inner(v);
    }
    case 'ZodOptional': {
      // A present key; absence is handled by the object.
      return compile(def.innerType!);
    }
    case 'ZodDefault': {
      // Present, so no default applies; absent fails in the object (the default would be filled in).
      return compile(def.innerType!);
    }
    case 'ZodArray': {
      if (def.exactLength || def.minLength || def.maxLength) return NEVER;
      const item = compile(def.type!);
      return (v) => Array.isArray(v) && v.every(item);
    }
    case 'ZodTuple': {
      if (def.rest) return NEVER;
      const items = (def.items ?? []).map(compile);
      return (v) => Array.isArray(v) && v.length === items.length && items.every((c, i) => c(v[i]));
    }
    case 'ZodRecord': {
      if (def.keyType && defOf(def.keyType).typeName !== 'ZodString') return NEVER;
      if (def.keyType && (defOf(def.keyType).checks ?? []).length > 0) return NEVER;
      const value = compile(def.valueType!);
      return (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(value);
    }
    case 'ZodObject':
      return objectCheck(def);
    default:
      return NEVER;
  }
}

/** Compiles the check once per schema; see the file comment. */
export function exactCheck(schema: ZodTypeAny): Check {
  return compile(schema);
}
