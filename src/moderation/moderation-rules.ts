import ipaddr from 'ipaddr.js';

/** Characters that render as nothing and are used to split a word past a filter. */
const INVISIBLE = new RegExp(
  // eslint-disable-next-line no-misleading-character-class -- lone combining invisibles are the target
  '[\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e' +
    '\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0]',
  'gu',
);

/** Folds text for matching: compatibility forms (full-width, ligatures), invisibles, case. */
export function foldForMatching(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How many distinct lists of each kind stay compiled. */
const LISTS_KEPT = 16;

/**
 * `compile` made once per distinct list and kept: a site's settings come with every comment, its
 * lists rarely change, and compiling them is most of the cost of judging a comment.
 */
function keptPerList<T>(compile: (list: string[]) => T): (list: string[]) => T {
  const kept = new Map<string, T>();
  return (list) => {
    const key = JSON.stringify(list);
    let compiled = kept.get(key);
    if (compiled === undefined) {
      compiled = compile(list);
      if (kept.size >= LISTS_KEPT) {
        kept.clear();
      }
      kept.set(key, compiled);
    }
    return compiled;
  };
}

/**
 * Compiles a word list into one whole-word, case-insensitive, Unicode-aware matcher: a word is
 * bounded by anything that is not a letter, mark or digit in any script ("ass" does not match
 * "classic", "bad" matches "Bad!" and "ＢＡＤ"). The same list gives the matcher it gave last time:
 * compiling a site's lists (a Unicode pattern of every word) cost about 100 µs a comment.
 */
export const wordMatcher: (words: string[]) => (text: string) => string[] =
  keptPerList(compileWords);

function compileWords(words: string[]): (text: string) => string[] {
  const folded = [...new Set(words.map((w) => foldForMatching(w.trim())).filter(Boolean))];
  if (folded.length === 0) {
    return () => [];
  }
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{M}\\p{N}])(${folded.map(escapeRegExp).join('|')})(?![\\p{L}\\p{M}\\p{N}])`,
    'gu',
  );
  return (text) => [...new Set([...foldForMatching(text).matchAll(pattern)].map((m) => m[1]))];
}

/** Links a reader would follow: URLs with a scheme, bare www. hosts, and markdown/autolinks. */
export function countLinks(markdownSource: string): number {
  const text = foldForMatching(markdownSource);
  const urls = text.match(/\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>()\]]+/g) ?? [];
  const mailtos = text.match(/\bmailto:[^\s<>()\]]+/g) ?? [];
  return urls.length + mailtos.length;
}

/** An address pattern is an exact address or `*@domain` (the domain and its subdomains). */
export function emailMatches(email: string, patterns: string[]): string | null {
  const address = email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    if (pattern.startsWith('*@')) {
      const blocked = pattern.slice(2);
      if (domain === blocked || domain.endsWith(`.${blocked}`)) {
        return raw;
      }
    } else if (pattern === address) {
      return raw;
    }
  }
  return null;
}

function parseAddress(ip: string): Address | null {
  if (!ipaddr.isValid(ip)) {
    return null;
  }
  const parsed = ipaddr.parse(ip);
  // ::ffff:1.2.3.4 is how an IPv4 client appears on a dual-stack socket.
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

/** True when `entry` is a valid IP address or CIDR range (what settings accept). */
export function isIpOrRange(entry: string): boolean {
  return ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry);
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** One entry of a blocked list, parsed: a range, or one address. */
interface IpEntry {
  entry: string;
  matches: (address: Address) => boolean;
}

/** One entry of a blocked list, parsed; null when it is neither an address nor a range. */
function ipEntry(entry: string): IpEntry | null {
  if (ipaddr.isValidCIDR(entry)) {
    const [range, bits] = ipaddr.parseCIDR(entry);
    return {
      entry,
      matches: (address) =>
        range.kind() === address.kind() && address.match([range, bits] as never),
    };
  }
  const other = ipaddr.isValid(entry) ? parseAddress(entry) : null;
  return other
    ? {
        entry,
        matches: (address) =>
          other.kind() === address.kind() && other.toString() === address.toString(),
      }
    : null;
}

/** A blocked list parsed once and kept like the word lists (parsing one range cost ~30 µs). */
const parsedIpList = keptPerList((entries) =>
  entries.map(ipEntry).filter((e): e is IpEntry => e !== null),
);

export function ipMatches(ip: string | null, entries: string[]): string | null {
  // No list (the usual case): no need to parse the address.
  const address = ip && entries.length > 0 ? parseAddress(ip) : null;
  if (!address) {
    return null;
  }
  return parsedIpList(entries).find((e) => e.matches(address))?.entry ?? null;
}
