import { Readable } from 'node:stream';
import { SaxesParser, SaxesTagPlain } from 'saxes';

/** One element of interest, flattened: leaf texts and attributes by their path below it. */
export interface XmlRecord {
  name: string;
  attrs: Record<string, string>;
  /** `child/grandchild` → text; `child@attr` → attribute value. */
  fields: Record<string, string>;
  /** Nested records (a WXR item's comments and meta). */
  children: XmlRecord[];
}

export interface RecordShape {
  /** Whether an element opened under these ancestors (names from the root) starts a record. */
  isRecord(ancestors: readonly string[], name: string): boolean;
  /** Elements that become nested records inside a record. */
  nested: ReadonlySet<string>;
  /** Leaf elements outside any record whose text is kept (`rss/channel/link`). */
  header?: ReadonlySet<string>;
}

export class MalformedExportError extends Error {}

interface Open {
  record: XmlRecord;
  /** Depth of the record's own element in the document. */
  depth: number;
}

/**
 * Streams records out of an XML document of any size: the text is fed to a SAX parser chunk by
 * chunk and only the records completed by a chunk are held, so memory is bounded by the largest
 * record, not the file. Counts the bytes consumed for progress reports.
 */
export class XmlRecordReader {
  readonly header: Record<string, string> = {};
  bytesRead = 0;

  constructor(private readonly shape: RecordShape) {}

  async *records(input: Readable): AsyncGenerator<XmlRecord> {
    const parser = new SaxesParser({ xmlns: false, position: false });
    const ready: XmlRecord[] = [];
    const stack: string[] = [];
    const open: Open[] = [];
    let text = '';
    const state: { failure: Error | null } = { failure: null };

    parser.on('error', (error) => {
      state.failure ??= new MalformedExportError(
        `the file is not well-formed XML: ${error.message}`,
      );
    });
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const name = tag.name;
      const current = open[open.length - 1];
      const startsRecord = current ? this.shape.nested.has(name) : this.shape.isRecord(stack, name);
      if (startsRecord) {
        const record: XmlRecord = { name, attrs: { ...tag.attributes }, fields: {}, children: [] };
        current?.record.children.push(record);
        open.push({ record, depth: stack.length });
      } else if (current) {
        const prefix = stack
          .slice(current.depth + 1)
          .concat(name)
          .join('/');
        for (const [attr, value] of Object.entries(tag.attributes)) {
          current.record.fields[`${prefix}@${attr}`] = value;
        }
      }
      stack.push(name);
      text = '';
    });
    const onText = (chunk: string) => {
      text += chunk;
    };
    parser.on('text', onText);
    parser.on('cdata', onText);
    parser.on('closetag', () => {
      const name = stack.pop()!;
      const current = open[open.length - 1];
      if (current && current.depth === stack.length) {
        open.pop();
        if (open.length === 0) {
          ready.push(current.record);
        }
      } else if (current) {
        const path = stack
          .slice(current.depth + 1)
          .concat(name)
          .join('/');
        if (text.trim() !== '' || !(path in current.record.fields)) {
          current.record.fields[path] = text;
        }
      } else if (this.shape.header) {
        const path = stack.concat(name).join('/');
        if (this.shape.header.has(path)) {
          this.header[path] = text.trim();
        }
      }
      text = '';
    });

    input.setEncoding('utf8');
    for await (const chunk of input as AsyncIterable<string>) {
      this.bytesRead += Buffer.byteLength(chunk, 'utf8');
      parser.write(chunk);
      if (state.failure) {
        throw state.failure;
      }
      while (ready.length > 0) {
        yield ready.shift()!;
      }
    }
    parser.close();
    if (state.failure) {
      throw state.failure;
    }
    yield* ready.splice(0);
  }
}

/** The nested records of one name. */
export function childrenNamed(record: XmlRecord, name: string): XmlRecord[] {
  return record.children.filter((c) => c.name === name);
}

/** `<wp:postmeta>`/`<wp:commentmeta>` pairs as a map. */
export function metaOf(record: XmlRecord, name: string): Map<string, string> {
  const meta = new Map<string, string>();
  for (const m of childrenNamed(record, name)) {
    const key = m.fields['wp:meta_key']?.trim();
    if (key) {
      meta.set(key, m.fields['wp:meta_value'] ?? '');
    }
  }
  return meta;
}
