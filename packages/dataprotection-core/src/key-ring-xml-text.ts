import { parseXmlElement, serializeCompact } from './xml-document.ts';

const ELEMENT_NODE = 1;
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
