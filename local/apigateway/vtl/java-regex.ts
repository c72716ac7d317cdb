/**
 * java.util.regex semantics on top of JavaScript RegExp, for String.replaceAll/replaceFirst/
 * split/matches in templates and for integration-response SelectionPatterns.
 *
 * The Java pattern is translated into an equivalent JS pattern compiled with the `u` flag (Java
 * matches by code point, as `u` does). Differences handled: `.` and `$` line-terminator rules,
 * ASCII-only `\s`, `\A \z \Z \R \h \v \e \a`, `\Q...\E` quoting, POSIX `\p{Alpha}`-style classes,
 * leading inline flags `(?i)(?s)(?m)`, identity escapes such as `\'` (legal in Java, an error in a
 * `u` pattern). Constructs JS cannot express (possessive quantifiers, atomic groups, class
 * intersection, `\G`, inline flags mid-pattern) throw {@link JavaRegexError} rather than silently
 * behaving differently.
 */

export class JavaRegexError extends Error {
  constructor(message: string, readonly pattern: string) {
    super(`${message} in regex ${JSON.stringify(pattern)}`);
    this.name = 'JavaRegexError';
  }
}

const LINE_TERMINATOR_CLASS = '\\n\\r\\u0085\\u2028\\u2029';
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
const HORIZONTAL_SPACE = ' \\t\\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
const VERTICAL_SPACE = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';
const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: JAVA_SPACE,
};
/** Characters that must stay escaped in a `u`-mode JS pattern (plus `-` inside a class). */
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

interface Translated {
  source: string;
  flags: string;
}

const cache = new Map<string, Translated>();

/** Translates a Java regex into a JS RegExp source + flags (always with `u`). */
export function translateJavaRegex(pattern: string): Translated {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let flags = 'u';
  let i = 0;
  // Leading inline flags, e.g. (?i) or (?is)
  const lead = /^\(\?([imsxud]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 's' || f === 'm') flags += flags.includes(f) ? '' : f;
      else if (f === 'x') throw new JavaRegexError('The COMMENTS flag (?x) is not supported', pattern);
      // (?u) and (?d) only change case folding / line terminators marginally: accepted.
    }
    i = lead[0].length;
  }
  const dotAll = flags.includes('s');
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;

  const err = (msg: string): never => {
    throw new JavaRegexError(msg, pattern);
  };
  const literal = (ch: string) => (JS_SYNTAX.has(ch) || (inClass && ch === '-') ? `\\${ch}` : ch);

  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) err('Unexpected trailing backslash');
      i += 2;
      switch (next) {
        case 'Q': {
          const end = pattern.indexOf('\\E', i);
          const quoted = end === -1 ? pattern.slice(i) : pattern.slice(i, end);
          out += Array.from(quoted).map(literal).join('');
          i = end === -1 ? pattern.length : end + 2;
          break;
        }
        case 'E':
          break; // a stray \E is ignored by Java
        case 'A':
          if (inClass) err('\\A inside a character class');
          out += '(?<![\\s\\S])';
          break;
        case 'z':
          if (inClass) err('\\z inside a character class');
          out += '(?![\\s\\S])';
          break;
        case 'Z':
          if (inClass) err('\\Z inside a character class');
          out += `(?=(?:\\r\\n|[${LINE_TERMINATOR_CLASS}])?(?![\\s\\S]))`;
          break;
        case 'G':
          err('\\G is not supported');
          break;
        case 'R':
          if (inClass) err('\\R inside a character class');
          out += `(?:\\r\\n|[${VERTICAL_SPACE}])`;
          break;
        case 'h':
          out += inClass ? HORIZONTAL_SPACE : `[${HORIZONTAL_SPACE}]`;
          break;
        case 'H':
          if (inClass) err('\\H inside a character class');
          out += `[^${HORIZONTAL_SPACE}]`;
          break;
        case 'v':
          out += inClass ? VERTICAL_SPACE : `[${VERTICAL_SPACE}]`;
          break;
        case 'V':
          if (inClass) err('\\V inside a character class');
          out += `[^${VERTICAL_SPACE}]`;
          break;
        case 's':
          out += inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`;
          break;
        case 'S':
          out += inClass ? '\\S' : `[^${JAVA_SPACE}]`;
          break;
        case 'a':
          out += '\\x07';
          break;
        case 'e':
          out += '\\x1B';
          break;
        case 'p':
        case 'P': {
          const m = /^\{(?:Is)?([A-Za-z]+)\}/.exec(pattern.slice(i));
          const name = m ? m[1] : pattern[i];
          const cls = POSIX[name];
          if (!cls) err(`\\${next}{${name}} is not supported`);
          if (m) i += m[0].length;
          else i += 1;
          if (next === 'p') out += inClass ? cls : `[${cls}]`;
          else if (inClass) err('\\P inside a character class');
          else out += `[^${cls}]`;
          break;
        }
        case 'x': {
          const braced = /^\{([0-9a-fA-F]+)\}/.exec(pattern.slice(i));
          if (braced) {
            out += `\\u{${braced[1]}}`;
            i += braced[0].length;
          } else {
            out += '\\x';
          }
          break;
        }
        case '0': {
          const m = /^[0-3]?[0-7]{1,2}/.exec(pattern.slice(i));
          if (!m) err('Illegal octal escape sequence');
          out += `\\u{${parseInt(m![0], 8).toString(16)}}`;
          i += m![0].length;
          break;
        }
        default:
          if (/[0-9]/.test(next)) {
            // back reference \1..\9 (Java takes more digits while such a group exists; rare)
            out += `\\${next}`;
          } else if (/[a-zA-Z]/.test(next)) {
            // \d \D \w \W \b \B \t \n \r \f \u \c \k are the same in JS
            if (!'dDwWbBtnrfuck'.includes(next)) err(`Illegal/unsupported escape \\${next}`);
            out += `\\${next}`;
          } else {
            out += literal(next);
          }
      }
      continue;
    }

    if (inClass) {
      if (ch === '[') err('Nested character classes / unions are not supported');
      if (ch === '&' && pattern[i + 1] === '&') err('Character class intersection (&&) is not supported');
      if (ch === ']') inClass = false;
      out += ch === '/' ? '\\/' : ch;
      i++;
      continue;
    }

    switch (ch) {
      case '[': {
        inClass = true;
        out += '[';
        i++;
        if (pattern[i] === '^') {
          out += '^';
          i++;
        }
        // A leading ']' is a literal in Java.
        if (pattern[i] === ']') {
          out += '\\]';
          i++;
        }
        break;
      }
      case '.':
        out += dotAll ? '[\\s\\S]' : `[^${LINE_TERMINATOR_CLASS}]`;
        i++;
        break;
      case '$':
        out += multiline ? '$' : `(?=(?:\\r\\n|[${LINE_TERMINATOR_CLASS}])?(?![\\s\\S]))`;
        i++;
        break;
      case '(': {
        if (pattern[i + 1] === '?') {
          const rest = pattern.slice(i + 2);
          if (rest.startsWith('>')) err('Atomic groups (?>...) are not supported');
          if (/^[:=!]|^<[=!]|^<[A-Za-z]/.test(rest)) {
            out += '(';
            i++;
            break;
          }
          err('Inline flags are only supported at the start of the pattern');
        }
        out += '(';
        i++;
        break;
      }
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) err('Illegal repetition');
        out += m![0];
        i += m![0].length;
        if (pattern[i] === '+') err('Possessive quantifiers are not supported');
        break;
      }
      case '*':
      case '+':
      case '?':
        out += ch;
        i++;
        if (pattern[i] === '+') err('Possessive quantifiers are not supported');
        if (pattern[i] === '?' && ch !== '?') {
          out += '?';
          i++;
        } else if (ch === '?' && pattern[i] === '?') {
          out += '?';
          i++;
        }
        break;
      case '}':
      case ']':
      case '/':
        out += `\\${ch}`;
        i++;
        break;
      default:
        out += ch;
        i++;
    }
  }
  if (inClass) err('Unclosed character class');
  const result = { source: out, flags };
  try {
    new RegExp(result.source, result.flags);
  } catch (e) {
    throw new JavaRegexError(`Unsupported or invalid pattern (${(e as Error).message})`, pattern);
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, result);
  return result;
}

function globalRegex(pattern: string): RegExp {
  const t = translateJavaRegex(pattern);
  return new RegExp(t.source, `${t.flags}g`);
}

/**
 * A global RegExp per pattern, shared: only for String.prototype.replace, which starts at lastIndex 0 and
 * leaves it at 0 whatever the pattern matched.
 */
const sharedGlobalRegexes = new Map<string, RegExp>();
function sharedGlobalRegex(pattern: string): RegExp {
  let re = sharedGlobalRegexes.get(pattern);
  if (!re) {
    re = globalRegex(pattern);
    if (sharedGlobalRegexes.size > 1000) sharedGlobalRegexes.clear();
    sharedGlobalRegexes.set(pattern, re);
  }
  return re;
}

/** String.matches(regex) / Pattern.matches: the whole input must match. */
export function javaMatches(input: string, pattern: string): boolean {
  const t = translateJavaRegex(pattern);
  return new RegExp(`(?<![\\s\\S])(?:${t.source})(?![\\s\\S])`, t.flags).test(input);
}

type Replacer = (match: string, ...rest: unknown[]) => string;
/** pattern → replacement → replacer. */
const replacers = new Map<string, Map<string, Replacer>>();

/** javaReplacer, cached per (pattern, replacement) (a replacement that does not parse throws every time). */
function cachedReplacer(replacement: string, pattern: string): Replacer {
  let byReplacement = replacers.get(pattern);
  if (!byReplacement) {
    if (replacers.size > 1000) replacers.clear();
    replacers.set(pattern, (byReplacement = new Map()));
  }
  let r = byReplacement.get(replacement);
  if (!r) {
    r = javaReplacer(replacement, pattern);
    if (byReplacement.size > 1000) byReplacement.clear();
    byReplacement.set(replacement, r);
  }
  return r;
}

/** Builds the per-match replacement of Matcher.appendReplacement (`$1`, `${name}`, `\$`). */
function javaReplacer(replacement: string, pattern: string): Replacer {
  type Part = string | { group: number } | { name: string };
  const parts: Part[] = [];
  let text = '';
  const groupCount = new RegExp(`${translateJavaRegex(pattern).source}|`, 'u').exec('')!.length - 1;
  for (let i = 0; i < replacement.length; i++) {
    const ch = replacement[i];
    if (ch === '\\') {
      i++;
      if (i >= replacement.length) throw new JavaRegexError('character to be escaped is missing', replacement);
      text += replacement[i];
    } else if (ch === '$') {
      i++;
      if (i >= replacement.length) throw new JavaRegexError('Illegal group reference: group index is missing', replacement);
      if (replacement[i] === '{') {
        const end = replacement.indexOf('}', i);
        const name = end === -1 ? '' : replacement.slice(i + 1, end);
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new JavaRegexError('named capturing group is missing trailing }', replacement);
        parts.push(text, { name });
        text = '';
        i = end;
      } else if (/[0-9]/.test(replacement[i])) {
        let group = Number(replacement[i]);
        if (group > groupCount) throw new JavaRegexError(`No group ${group}`, replacement);
        while (i + 1 < replacement.length && /[0-9]/.test(replacement[i + 1])) {
          const candidate = group * 10 + Number(replacement[i + 1]);
          if (candidate > groupCount) break;
          group = candidate;
          i++;
        }
        parts.push(text, { group });
        text = '';
      } else {
        throw new JavaRegexError('Illegal group reference', replacement);
      }
    } else {
      text += ch;
    }
  }
  parts.push(text);
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else if ('group' in part) out += part.group === 0 ? match : ((rest[part.group - 1] as string | undefined) ?? '');
      else {
        if (!named || !(part.name in named)) throw new JavaRegexError(`No group with name {${part.name}}`, replacement);
        out += named[part.name] ?? '';
      }
    }
    return out;
  };
}

/** String.replaceAll(regex, replacement) with Java regex and replacement syntax. */
export function javaReplaceAll(input: string, pattern: string, replacement: string): string {
  return input.replace(sharedGlobalRegex(pattern), cachedReplacer(replacement, pattern));
}

/** String.replaceFirst(regex, replacement). */
export function javaReplaceFirst(input: string, pattern: string, replacement: string): string {
  const t = translateJavaRegex(pattern);
  return input.replace(new RegExp(t.source, t.flags), cachedReplacer(replacement, pattern));
}

/**
 * String.split(regex, limit): trailing empty strings dropped when limit is 0, no leading empty
 * string for a zero-width match at the start (Java 8+), at most `limit` parts when limit > 0.
 */
export function javaSplit(input: string, pattern: string, limit = 0): string[] {
  const re = globalRegex(pattern);
  const parts: string[] = [];
  let index = 0;
  const limited = limit > 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(input)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0) {
      // advance past a zero-width match by one code point
      const cp = input.codePointAt(re.lastIndex);
      re.lastIndex += cp !== undefined && cp > 0xffff ? 2 : 1;
    }
    if (!limited || parts.length < limit - 1) {
      if (index === 0 && start === 0 && start === end) continue;
      parts.push(input.slice(index, start));
      index = end;
    } else {
      break;
    }
  }
  if (index === 0) return [input];
  parts.push(input.slice(index));
  if (limit === 0) {
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  }
  return parts;
}
