/** Content-Type / Accept handling shared by integration responses and gateway responses. */

/** The media type of a Content-Type/Accept value, lowercased, without parameters. */
export function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.split(';')[0].trim().toLowerCase();
  return t === '' ? undefined : t;
}

export function findTemplate(templates: Record<string, string>, type: string): [string, string] | undefined {
  const key = Object.keys(templates).find((k) => k.toLowerCase() === type);
  return key === undefined ? undefined : [key, templates[key]];
}

/**
 * Picks the response template by the request's Accept header: the first media type of the header
 * that has a template; with no Accept, `application/json`; with no match, the first template
 * defined. Undefined when no template is defined (the payload passes through).
 */
export function selectResponseTemplate(
  templates: Record<string, string> | undefined,
  accept: string | undefined,
): { contentType: string; template: string } | undefined {
  const all = templates ?? {};
  const keys = Object.keys(all);
  if (keys.length === 0) return undefined;
  const wanted = (accept ?? '')
    .split(',')
    .map((part) => mediaType(part))
    .filter((t): t is string => t !== undefined);
  for (const type of wanted.length > 0 ? wanted : ['application/json']) {
    const match = findTemplate(all, type);
    if (match) return { contentType: match[0], template: match[1] };
  }
  return { contentType: keys[0], template: all[keys[0]] };
}

