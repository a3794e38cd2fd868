import { DOMParser, type Element, type Node, XMLSerializer } from '@xmldom/xmldom';
import { XmlKeyFormatError } from './errors.ts';

/** The namespace of ASP.NET Core data protection's `requiresEncryption` attribute and `encryptedSecret`. */
export const DATA_PROTECTION_NS = 'http://schemas.asp.net/2015/03/dataProtection';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const COMMENT_NODE = 8;
const DOCUMENT_TYPE_NODE = 10;
/** Key ring elements are a few kilobytes; anything far larger is not ours. */
const MAX_XML_LENGTH = 1024 * 1024;

/**
 * Parses one XML element (with or without declaration or BOM) from untrusted storage. DTDs are refused
 * outright, so no entity can expand; any well-formedness error is an XmlKeyFormatError.
 */
export function parseXmlElement(text: string, source = 'the repository'): Element {
  if (typeof text !== 'string') throw new XmlKeyFormatError(`An element from ${source} is not a string.`);
  if (text.length > MAX_XML_LENGTH) {
    throw new XmlKeyFormatError(
      `An element from ${source} is ${text.length} characters long; the limit is ${MAX_XML_LENGTH}.`,
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (/<!DOCTYPE/i.test(body))
    throw new XmlKeyFormatError(`An element from ${source} has a DTD, which is not allowed.`);
  let document: ReturnType<DOMParser['parseFromString']>;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(body, 'text/xml');
  } catch (error) {
    throw new XmlKeyFormatError(
      `An element from ${source} is not well-formed XML: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  for (let node = document.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === DOCUMENT_TYPE_NODE)
      throw new XmlKeyFormatError(`An element from ${source} has a DTD.`);
  }
  const root = document.documentElement;
  if (!root) throw new XmlKeyFormatError(`${source} returned text with no XML element.`);
  dropFormattingWhitespace(root);
  return root;
}

/**
 * Removes whitespace-only text between child elements, as .NET's XElement.Parse does by default, so an
 * indented key file and its compact form are the same element.
 */
function dropFormattingWhitespace(element: Element): void {
  const children = Array.from(element.childNodes) as Node[];
  if (!children.some((c) => c.nodeType === ELEMENT_NODE || c.nodeType === COMMENT_NODE)) return;
  for (const child of children) {
    if (child.nodeType === TEXT_NODE && (child.nodeValue ?? '').trim() === '') element.removeChild(child);
    else if (child.nodeType === ELEMENT_NODE) dropFormattingWhitespace(child as Element);
  }
}

// Comments, CDATA sections and processing instructions, which are copied as they are; any other "/>" in
// xmldom's output closes an empty element, since it escapes ">" in text and attribute values.
const VERBATIM_OR_EMPTY_TAG_END = /(<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>)|\/>/g;

/** xmldom's serialization with empty elements written as .NET's XmlWriter writes them: `<name />`. */
function serializeAsXmlWriter(node: Node): string {
  return new XMLSerializer()
    .serializeToString(node)
    .replace(VERBATIM_OR_EMPTY_TAG_END, (_match, verbatim: string | undefined) => verbatim ?? ' />');
}

/**
 * Compact form, as ASP.NET Core's `ToString(SaveOptions.DisableFormatting)` writes it (no declaration, no
 * whitespace added): what Redis and the EF table store.
 */
export function serializeCompact(element: Element): string {
  return serializeAsXmlWriter(element);
}

/**
 * Indented form with an XML declaration, as XElement.Save writes key files on Linux and macOS: two spaces
 * per level, elements holding text kept on one line, "\n" line ends and none after the last line.
 */
export function serializeIndented(element: Element): string {
  const clone = element.cloneNode(true) as Element;
  indent(clone, 1);
  return `<?xml version="1.0" encoding="utf-8"?>\n${serializeAsXmlWriter(clone)}`;
}

function indent(element: Element, depth: number): void {
  const children = Array.from(element.childNodes) as Node[];
  const structural = children.filter((c) => c.nodeType === ELEMENT_NODE || c.nodeType === COMMENT_NODE);
  const hasText = children.some((c) => c.nodeType === TEXT_NODE && (c.nodeValue ?? '').trim() !== '');
  if (structural.length === 0 || hasText) return;
  const document = element.ownerDocument!;
  for (const child of children) if (child.nodeType === TEXT_NODE) element.removeChild(child);
  for (const child of structural) {
    element.insertBefore(document.createTextNode(`\n${'  '.repeat(depth)}`), child);
    if (child.nodeType === ELEMENT_NODE) indent(child as Element, depth + 1);
  }
  element.appendChild(document.createTextNode(`\n${'  '.repeat(depth - 1)}`));
}

/** Child elements, skipping text and comments. */
export function childElements(element: Element): Element[] {
  return (Array.from(element.childNodes) as Node[]).filter((n): n is Element => n.nodeType === ELEMENT_NODE);
}

export function childElement(element: Element, localName: string): Element | undefined {
  return childElements(element).find((child) => (child.localName ?? child.nodeName) === localName);
}

export function requireChild(element: Element, localName: string, what: string): Element {
  const child = childElement(element, localName);
  if (!child) throw new XmlKeyFormatError(`${what} has no <${localName}> element.`);
  return child;
}

/** Concatenated text content, comments excluded (how .NET reads a masterKey). */
export function textContent(element: Element): string {
  let text = '';
  for (const node of Array.from(element.childNodes) as Node[]) {
    if (node.nodeType === TEXT_NODE || node.nodeType === 4 /* CDATA */) text += node.nodeValue ?? '';
    else if (node.nodeType === ELEMENT_NODE) text += textContent(node as Element);
  }
  return text;
}

/** A new detached element in a fresh document, for building XML to write. */
export function createElement(name: string, namespace: string | null = null): Element {
  const document = new DOMParser().parseFromString('<placeholder/>', 'text/xml');
  const element = namespace ? document.createElementNS(namespace, name) : document.createElement(name);
  document.replaceChild(element, document.documentElement!);
  return element;
}

/** Appends a child element with optional attributes and text; returns it. */
export function appendElement(
  parent: Element,
  name: string,
  attributes: Record<string, string> = {},
  text?: string,
): Element {
  const child = parent.ownerDocument!.createElement(name);
  for (const [key, value] of Object.entries(attributes)) child.setAttribute(key, value);
  if (text !== undefined) child.appendChild(parent.ownerDocument!.createTextNode(text));
  parent.appendChild(child);
  return child;
}

export function appendComment(parent: Element, text: string): void {
  parent.appendChild(parent.ownerDocument!.createComment(text));
}

/** Moves an element (with its subtree) into another element's document, as its child. */
export function adopt(parent: Element, child: Element): Element {
  const imported = parent.ownerDocument!.importNode(child, true) as Element;
  parent.appendChild(imported);
  return imported;
}

const RING_ELEMENTS = new Set(['key', 'revocation']);

/**
 * The key ring elements in XML text from elsewhere, each in compact form (ready for `storeElement` or an
 * `EphemeralXmlRepository`): one key or revocation file as ASP.NET Core's file system repository writes it,
 * or a document whose root holds the elements, such as the `<repository>` blob of Azure Blob Storage (any
 * root name, as ASP.NET Core reads it). Empty text holds no elements; text that is not well-formed XML
 * throws an `XmlKeyFormatError` naming `source`.
 */
export function keyRingElementsFromXml(text: string, source = 'the XML text'): string[] {
  if (isBlank(text)) return [];
  const root = parseXmlElement(text, source);
  return RING_ELEMENTS.has(root.localName ?? root.nodeName)
    ? [serializeCompact(root)]
    : childElementsOf(root);
}

/**
 * The elements under a document's root, whatever its name, in compact form: how ASP.NET Core reads a
 * document-shaped repository (Azure Blob Storage). Empty text is an empty ring.
 */
export function documentElements(text: string, source: string): string[] {
  return isBlank(text) ? [] : childElementsOf(parseXmlElement(text, source));
}

function isBlank(text: string): boolean {
  return typeof text === 'string' && text.replace(/^\ufeff/, '').trim() === '';
}

function childElementsOf(root: ReturnType<typeof parseXmlElement>): string[] {
  const elements: string[] = [];
  for (let node = root.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) elements.push(serializeCompact(node as typeof root));
  }
  return elements;
}
