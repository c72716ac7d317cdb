/**
 * Method calls and property reads on Java-model values, with the JDK's semantics for the methods
 * mapping templates use: java.lang.String, Integer/Long/Double/Boolean, LinkedHashMap, ArrayList /
 * JSONArray, String[] (which Velocity 1.7 lets templates use like a List) and Map.Entry.
 *
 * Velocity 1.7 picks a method by name and argument types without converting types, so a call with
 * arguments of the wrong type finds no method (NO_METHOD → the reference is null). A method that
 * throws in Java (substring out of range, get(99) on a short list, contains(null)) throws
 * {@link JavaMethodError} here; API Gateway then fails the template (a 5xx).
 */
import {
  JavaArray,
  JavaDouble,
  JavaList,
  JavaMap,
  JsonArray,
  MapEntry,
  MethodResult,
  NO_METHOD,
  compareNumbers,
  isHostObject,
  isJavaIntegral,
  isJavaNumber,
  javaObjectEquals,
  javaToString,
  toJsonText,
  toNumber,
} from './java-values';
import { javaMatches, javaReplaceAll, javaReplaceFirst, javaSplit } from './java-regex';

/** A Java exception thrown by a method the template called. */
export class JavaMethodError extends Error {
  constructor(readonly javaException: string, message: string) {
    super(`${javaException}: ${message}`);
    this.name = 'JavaMethodError';
  }
}

const npe = (what: string): never => {
  throw new JavaMethodError('java.lang.NullPointerException', what);
};
const isNull = (v: unknown) => v === null || v === undefined;
const isStr = (v: unknown): v is string => typeof v === 'string';
const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Java's String.hashCode (s[0]*31^(n-1) + ... as a 32-bit int). */
function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** String.trim(): strips chars <= U+0020 from both ends (not Unicode spaces, unlike JS trim()). */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

function stringIndexCheck(s: string, begin: number, end: number): void {
  if (begin < 0 || end > s.length || begin > end) {
    throw new JavaMethodError(
      'java.lang.StringIndexOutOfBoundsException',
      `begin ${begin}, end ${end}, length ${s.length}`,
    );
  }
}

function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function stringMethod(s: string, name: string, args: unknown[]): MethodResult {
  const [a, b] = args;
  const n = args.length;
  switch (name) {
    case 'length':
      return n === 0 ? s.length : NO_METHOD;
    case 'isEmpty':
      return n === 0 ? s.length === 0 : NO_METHOD;
    case 'toString':
    case 'intern':
      return n === 0 ? s : NO_METHOD;
    case 'trim':
      return n === 0 ? javaTrim(s) : NO_METHOD;
    case 'toLowerCase':
      return n === 0 ? s.toLowerCase() : NO_METHOD;
    case 'toUpperCase':
      return n === 0 ? s.toUpperCase() : NO_METHOD;
    case 'hashCode':
      return n === 0 ? stringHash(s) : NO_METHOD;
    case 'charAt':
      if (n !== 1 || !int(a)) return NO_METHOD;
      if (a < 0 || a >= s.length) throw new JavaMethodError('java.lang.StringIndexOutOfBoundsException', `index ${a}, length ${s.length}`);
      return s[a];
    case 'equals':
      return n === 1 ? isStr(a) && a === s : NO_METHOD;
    case 'equalsIgnoreCase':
      return n === 1 ? isStr(a) && a.length === s.length && a.toUpperCase().toLowerCase() === s.toUpperCase().toLowerCase() : NO_METHOD;
    case 'compareTo':
      if (n !== 1) return NO_METHOD;
      if (isNull(a)) return npe('compareTo(null)');
      return isStr(a) ? compareStrings(s, a) : NO_METHOD;
    case 'compareToIgnoreCase':
      if (n !== 1) return NO_METHOD;
      if (isNull(a)) return npe('compareToIgnoreCase(null)');
      return isStr(a) ? compareStrings(s.toUpperCase().toLowerCase(), a.toUpperCase().toLowerCase()) : NO_METHOD;
    case 'contains':
      if (n !== 1) return NO_METHOD;
      if (isNull(a)) return npe('contains(null)');
      return isStr(a) ? s.includes(a) : NO_METHOD;
    case 'startsWith':
      if (n === 1 && isNull(a)) return npe('startsWith(null)');
      if (n === 1 && isStr(a)) return s.startsWith(a);
      if (n === 2 && isStr(a) && int(b)) return b >= 0 && b <= s.length && s.startsWith(a, b);
      return NO_METHOD;
    case 'endsWith':
      if (n !== 1) return NO_METHOD;
      if (isNull(a)) return npe('endsWith(null)');
      return isStr(a) ? s.endsWith(a) : NO_METHOD;
    case 'indexOf':
    case 'lastIndexOf': {
      if (n < 1 || n > 2) return NO_METHOD;
      if (isNull(a)) return npe(`${name}(null)`);
      const needle = isStr(a) ? a : int(a) ? String.fromCodePoint(a) : undefined;
      if (needle === undefined || (n === 2 && !int(b))) return NO_METHOD;
      if (name === 'indexOf') return n === 2 ? s.indexOf(needle, Math.max(0, b as number)) : s.indexOf(needle);
      if (n === 2 && (b as number) < 0) return -1;
      return n === 2 ? s.lastIndexOf(needle, b as number) : s.lastIndexOf(needle);
    }
    case 'substring': {
      if (n === 1 && int(a)) {
        stringIndexCheck(s, a, s.length);
        return s.slice(a);
      }
      if (n === 2 && int(a) && int(b)) {
        stringIndexCheck(s, a, b);
        return s.slice(a, b);
      }
      return NO_METHOD;
    }
    case 'concat':
      if (n !== 1) return NO_METHOD;
      if (isNull(a)) return npe('concat(null)');
      return isStr(a) ? s + a : NO_METHOD;
    case 'replace':
      if (n !== 2) return NO_METHOD;
      if (isNull(a) || isNull(b)) return npe('replace(null)');
      return isStr(a) && isStr(b) ? s.split(a).join(b) : NO_METHOD;
    case 'replaceAll':
    case 'replaceFirst':
      if (n !== 2) return NO_METHOD;
      if (isNull(a) || isNull(b)) return npe(`${name}(null)`);
      if (!isStr(a) || !isStr(b)) return NO_METHOD;
      return name === 'replaceAll' ? javaReplaceAll(s, a, b) : javaReplaceFirst(s, a, b);
    case 'matches':
      if (n !== 1) return NO_METHOD;
      if (isNull(a)) return npe('matches(null)');
      return isStr(a) ? javaMatches(s, a) : NO_METHOD;
    case 'split':
      if (n === 1 && isNull(a)) return npe('split(null)');
      if (n === 1 && isStr(a)) return new JavaArray(javaSplit(s, a));
      if (n === 2 && isStr(a) && int(b)) return new JavaArray(javaSplit(s, a, b));
      return NO_METHOD;
    case 'toCharArray':
      return n === 0 ? new JavaArray(s.split(''), 'char') : NO_METHOD;
    default:
      return NO_METHOD;
  }
}

function numberMethod(value: number | bigint | JavaDouble, name: string, args: unknown[]): MethodResult {
  if (args.length === 0) {
    switch (name) {
      case 'toString':
        return javaToString(value);
      case 'intValue':
      case 'longValue':
        return value instanceof JavaDouble ? Math.trunc(value.value) : value;
      case 'doubleValue':
      case 'floatValue':
        return new JavaDouble(toNumber(value));
      case 'hashCode':
        return typeof value === 'number' ? value | 0 : NO_METHOD;
      default:
        return NO_METHOD;
    }
  }
  if (args.length === 1 && name === 'equals') return javaObjectEquals(value, args[0]);
  if (args.length === 1 && name === 'compareTo') {
    if (isNull(args[0])) return npe('compareTo(null)');
    return isJavaNumber(args[0]) && (value instanceof JavaDouble) === (args[0] instanceof JavaDouble)
      ? compareNumbers(value, args[0])
      : NO_METHOD;
  }
  return NO_METHOD;
}

function booleanMethod(value: boolean, name: string, args: unknown[]): MethodResult {
  if (args.length === 0 && name === 'toString') return String(value);
  if (args.length === 0 && name === 'booleanValue') return value;
  if (args.length === 1 && name === 'equals') return args[0] === value;
  return NO_METHOD;
}

function mapMethod(map: JavaMap, name: string, args: unknown[]): MethodResult {
  const [a, b] = args;
  const n = args.length;
  switch (name) {
    case 'get':
      return n === 1 ? (isStr(a) ? map.get(a) : null) : NO_METHOD;
    case 'getOrDefault':
      return n === 2 ? (isStr(a) && map.has(a) ? map.get(a) : b) : NO_METHOD;
    case 'containsKey':
      return n === 1 ? isStr(a) && map.has(a) : NO_METHOD;
    case 'containsValue':
      return n === 1 ? [...map.entries.values()].some((v) => javaObjectEquals(v, a)) : NO_METHOD;
    case 'size':
      return n === 0 ? map.size : NO_METHOD;
    case 'isEmpty':
      return n === 0 ? map.size === 0 : NO_METHOD;
    case 'keySet':
      return n === 0 ? new JavaList([...map.entries.keys()]) : NO_METHOD;
    case 'values':
      return n === 0 ? new JavaList([...map.entries.values()]) : NO_METHOD;
    case 'entrySet':
      return n === 0 ? new JavaList([...map.entries.keys()].map((k) => new MapEntry(map, k))) : NO_METHOD;
    case 'put':
      if (n !== 2 || !isStr(a)) return NO_METHOD;
      return map.put(a, b ?? null);
    case 'putIfAbsent':
      if (n !== 2 || !isStr(a)) return NO_METHOD;
      if (isNull(map.get(a))) return map.put(a, b ?? null);
      return map.get(a);
    case 'putAll':
      if (n !== 1 || !(a instanceof JavaMap)) return NO_METHOD;
      for (const [k, v] of a.entries) map.put(k, v);
      return null;
    case 'remove': {
      if (n !== 1) return NO_METHOD;
      if (!isStr(a) || !map.has(a)) return null;
      const previous = map.get(a);
      map.entries.delete(a);
      return previous;
    }
    case 'clear':
      if (n !== 0) return NO_METHOD;
      map.entries.clear();
      return null;
    case 'toString':
      return n === 0 ? javaToString(map) : NO_METHOD;
    case 'equals':
      return n === 1 ? javaObjectEquals(map, a) : NO_METHOD;
    default:
      return NO_METHOD;
  }
}

function listIndexCheck(list: JavaList, index: number, size = list.items.length): void {
  if (index < 0 || index >= size) {
    throw new JavaMethodError('java.lang.IndexOutOfBoundsException', `Index ${index} out of bounds for length ${list.items.length}`);
  }
}

function listMethod(list: JavaList, name: string, args: unknown[]): MethodResult {
  const items = list.items;
  const [a, b] = args;
  const n = args.length;
  const readOnly = list instanceof JavaArray;
  switch (name) {
    case 'size':
      return n === 0 ? items.length : NO_METHOD;
    case 'isEmpty':
      return n === 0 ? items.length === 0 : NO_METHOD;
    case 'get':
      if (n !== 1 || !int(a)) return NO_METHOD;
      listIndexCheck(list, a);
      return items[a];
    case 'contains':
      return n === 1 ? items.some((item) => javaObjectEquals(item, a)) : NO_METHOD;
    case 'indexOf':
      return n === 1 ? items.findIndex((item) => javaObjectEquals(item, a)) : NO_METHOD;
    case 'lastIndexOf': {
      if (n !== 1) return NO_METHOD;
      for (let i = items.length - 1; i >= 0; i--) if (javaObjectEquals(items[i], a)) return i;
      return -1;
    }
    case 'set': {
      if (n !== 2 || !int(a)) return NO_METHOD;
      listIndexCheck(list, a);
      const previous = items[a];
      items[a] = b ?? null;
      return previous;
    }
    case 'add':
      if (readOnly) return NO_METHOD;
      if (n === 1) {
        items.push(a ?? null);
        return true;
      }
      if (n === 2 && int(a)) {
        listIndexCheck(list, a, items.length + 1);
        items.splice(a, 0, b ?? null);
        return null;
      }
      return NO_METHOD;
    case 'addAll':
      if (readOnly || n !== 1 || !(a instanceof JavaList)) return NO_METHOD;
      items.push(...a.items);
      return a.items.length > 0;
    case 'remove': {
      if (readOnly || n !== 1) return NO_METHOD;
      if (int(a)) {
        listIndexCheck(list, a);
        return items.splice(a, 1)[0];
      }
      const index = items.findIndex((item) => javaObjectEquals(item, a));
      if (index === -1) return false;
      items.splice(index, 1);
      return true;
    }
    case 'clear':
      if (readOnly || n !== 0) return NO_METHOD;
      items.length = 0;
      return null;
    case 'subList': {
      if (n !== 2 || !int(a) || !int(b)) return NO_METHOD;
      if (a < 0 || b > items.length || a > b) {
        throw new JavaMethodError('java.lang.IndexOutOfBoundsException', `fromIndex ${a}, toIndex ${b}, size ${items.length}`);
      }
      return new JavaList(items.slice(a, b));
    }
    case 'toJSONString':
      return n === 0 && list instanceof JsonArray ? toJsonText(list) : NO_METHOD;
    case 'toString':
      return n === 0 ? javaToString(list) : NO_METHOD;
    case 'equals':
      return n === 1 ? javaObjectEquals(list, a) : NO_METHOD;
    default:
      return NO_METHOD;
  }
}

function entryMethod(entry: MapEntry, name: string, args: unknown[]): MethodResult {
  if (args.length === 0 && name === 'getKey') return entry.key;
  if (args.length === 0 && name === 'getValue') return entry.value;
  if (args.length === 1 && name === 'setValue') return entry.map.put(entry.key, args[0] ?? null);
  if (args.length === 0 && name === 'toString') return javaToString(entry);
  if (args.length === 1 && name === 'equals') return javaObjectEquals(entry, args[0]);
  return NO_METHOD;
}

/** Calls Java method `name` on `target`. Returns NO_METHOD when Velocity would find none. */
export function invokeJavaMethod(target: unknown, name: string, args: unknown[]): MethodResult {
  if (isNull(target)) return NO_METHOD;
  if (typeof target === 'string') return stringMethod(target, name, args);
  if (typeof target === 'boolean') return booleanMethod(target, name, args);
  if (isJavaNumber(target)) return numberMethod(target, name, args);
  if (target instanceof JavaMap) return mapMethod(target, name, args);
  if (target instanceof JavaList) return listMethod(target, name, args);
  if (target instanceof MapEntry) return entryMethod(target, name, args);
  if (isHostObject(target)) {
    const result = target.invoke(name, args);
    if (result !== NO_METHOD) return result;
    if (name === 'toString' && args.length === 0) return target.toJavaString();
    if (name === 'equals' && args.length === 1) return target === args[0];
    return NO_METHOD;
  }
  return NO_METHOD;
}

/**
 * `$obj.name` as Velocity 1.7's UberspectImpl resolves it: getName()/getname(), then get("name")
 * on a Map, then isName(). A Map answers every property with get() (so `$map.empty` is null,
 * `$map.size` is the entry named "size").
 */
export function getJavaProperty(target: unknown, name: string): unknown {
  if (isNull(target)) return undefined;
  if (target instanceof JavaMap) return name === 'class' ? undefined : target.get(name);
  const cap = name.charAt(0).toUpperCase() + name.slice(1);
  for (const candidate of [`get${cap}`, `get${name}`, `is${cap}`]) {
    const result = invokeJavaMethod(target, candidate, []);
    if (result !== NO_METHOD) return result;
  }
  if (target instanceof MapEntry) return undefined;
  if (isHostObject(target)) {
    const viaGet = target.invoke('get', [name]);
    if (viaGet !== NO_METHOD) return viaGet;
  }
  return undefined;
}

/** `$obj[key]` (Velocity 1.7 index notation): list/array by int index, map by key. */
export function getJavaIndex(target: unknown, key: unknown): unknown {
  if (isNull(target)) return undefined;
  if (target instanceof JavaList) {
    if (!isJavaIntegral(key)) return undefined;
    // Velocity 1.7 ASTIndex: a negative index counts from the end; out of range throws.
    const i = Number(key);
    const index = i < 0 ? target.items.length + i : i;
    listIndexCheck(target, index);
    return target.items[index];
  }
  if (target instanceof JavaMap) return isStr(key) ? target.get(key) : undefined;
  if (isHostObject(target)) {
    const result = target.invoke('get', [key]);
    return result === NO_METHOD ? undefined : result;
  }
  return undefined;
}

/** `#set($obj.name = v)` / `#set($obj[key] = v)`: Map.put, List.set, or a setter. */
export function setJavaProperty(target: unknown, key: unknown, value: unknown): boolean {
  if (target instanceof JavaMap) {
    if (!isStr(key) && !isJavaIntegral(key)) return false;
    target.put(String(key), value);
    return true;
  }
  if (target instanceof JavaList && !(target instanceof JavaArray)) {
    if (!isJavaIntegral(key)) return false;
    const i = Number(key);
    listIndexCheck(target, i);
    target.items[i] = value;
    return true;
  }
  if (isHostObject(target) && isStr(key)) {
    const cap = key.charAt(0).toUpperCase() + key.slice(1);
    return target.invoke(`set${cap}`, [value]) !== NO_METHOD || target.invoke('put', [key, value]) !== NO_METHOD;
  }
  return false;
}
