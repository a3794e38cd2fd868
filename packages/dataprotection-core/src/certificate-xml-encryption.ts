import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { KeyDecryptionError } from '@sharedstate/dataprotection-abstractions';
import type { Element } from '@xmldom/xmldom';
import { dataProtectionTypeName } from './dotnet-type-name.ts';
import { DataProtectionConfigurationError } from './errors.ts';
import {
  childElements,
  createElement,
  parseXmlElement,
  serializeCompact,
  textContent,
} from './xml-document.ts';
import type { EncryptedXml, XmlDecryptor, XmlEncryptor } from './xml-encryption.ts';

const XMLENC = 'http://www.w3.org/2001/04/xmlenc#';
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';
const AES256_CBC = `${XMLENC}aes256-cbc`;
const RSA_1_5 = `${XMLENC}rsa-1_5`;

export const CERTIFICATE_DECRYPTOR_TYPE = dataProtectionTypeName(
  'Microsoft.AspNetCore.DataProtection.XmlEncryption.EncryptedXmlDecryptor',
);

/** A certificate as PEM or DER, or already parsed. */
export type CertificateInput = string | Buffer | X509Certificate;

/** A certificate and its private key, for decrypting keys protected with it. */
export interface CertificateWithPrivateKey {
  certificate: CertificateInput;
  privateKey: string | Buffer | KeyObject;
}

function toCertificate(input: CertificateInput, option: string): X509Certificate {
  if (input instanceof X509Certificate) return input;
  try {
    return new X509Certificate(input);
  } catch (error) {
    throw new DataProtectionConfigurationError(`${option} is not a PEM or DER X.509 certificate.`, {
      cause: error,
    });
  }
}

function ns(
  parent: Element,
  namespace: string,
  name: string,
  attributes: Record<string, string> = {},
  text?: string,
): Element {
  const child = parent.ownerDocument!.createElementNS(namespace, name);
  for (const [key, value] of Object.entries(attributes)) child.setAttribute(key, value);
  if (text !== undefined) child.appendChild(parent.ownerDocument!.createTextNode(text));
  parent.appendChild(child);
  return child;
}

/**
 * Encrypts key secrets with an X.509 certificate as ASP.NET Core's ProtectKeysWithCertificate does: W3C XML
 * Encryption, AES-256-CBC for the element, the AES key wrapped with the certificate's RSA key (PKCS#1 v1.5),
 * and the certificate itself in KeyInfo so a reader can find the matching private key.
 */
export class CertificateXmlEncryptor implements XmlEncryptor {
  readonly #certificate: X509Certificate;

  constructor(certificate: CertificateInput) {
    this.#certificate = toCertificate(certificate, 'The certificate given to CertificateXmlEncryptor');
    if (this.#certificate.publicKey.asymmetricKeyType !== 'rsa') {
      throw new DataProtectionConfigurationError(
        'Key encryption with a certificate needs an RSA certificate.',
      );
    }
  }

  encrypt(plaintextElement: Element): EncryptedXml {
    const sessionKey = randomBytes(32);
    const iv = randomBytes(16);
    // PKCS#7 padding is one of the paddings ISO 10126 allows, so .NET reads it.
    const cipher = createCipheriv('aes-256-cbc', sessionKey, iv);
    const plaintext = Buffer.from(serializeCompact(plaintextElement), 'utf8');
    const encrypted = Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
    const wrappedKey = publicEncrypt(
      { key: this.#certificate.publicKey, padding: constants.RSA_PKCS1_PADDING },
      sessionKey,
    );

    const data = createElement('EncryptedData', XMLENC);
    data.setAttribute('Type', `${XMLENC}Element`);
    ns(data, XMLENC, 'EncryptionMethod', { Algorithm: AES256_CBC });
    const keyInfo = ns(data, XMLDSIG, 'KeyInfo');
    const encryptedKey = ns(keyInfo, XMLENC, 'EncryptedKey');
    ns(encryptedKey, XMLENC, 'EncryptionMethod', { Algorithm: RSA_1_5 });
    const certInfo = ns(encryptedKey, XMLDSIG, 'KeyInfo');
    ns(
      ns(certInfo, XMLDSIG, 'X509Data'),
      XMLDSIG,
      'X509Certificate',
      {},
      this.#certificate.raw.toString('base64'),
    );
    ns(ns(encryptedKey, XMLENC, 'CipherData'), XMLENC, 'CipherValue', {}, wrappedKey.toString('base64'));
    ns(ns(data, XMLENC, 'CipherData'), XMLENC, 'CipherValue', {}, encrypted.toString('base64'));
    return { decryptorType: CERTIFICATE_DECRYPTOR_TYPE, encryptedElement: data };
  }
}

function find(element: Element, localName: string): Element | undefined {
  for (const child of childElements(element)) {
    if (child.localName === localName) return child;
    const below = find(child, localName);
    if (below) return below;
  }
  return undefined;
}

/**
 * Decrypts keys protected by CertificateXmlEncryptor or by ASP.NET Core's ProtectKeysWithCertificate, with
 * any of several certificates (ASP.NET Core's UnprotectKeysWithAnyCertificate), so certificates can roll.
 */
export class CertificateXmlDecryptor implements XmlDecryptor {
  readonly decryptorType = CERTIFICATE_DECRYPTOR_TYPE;
  readonly #certificates: { certificate: X509Certificate; privateKey: KeyObject }[];

  constructor(certificates: readonly CertificateWithPrivateKey[]) {
    if (certificates.length === 0) {
      throw new DataProtectionConfigurationError(
        'unprotectKeysWithAnyCertificate needs at least one certificate with its private key.',
      );
    }
    this.#certificates = certificates.map(({ certificate, privateKey }, i) => {
      const cert = toCertificate(certificate, `unprotectKeysWithAnyCertificate[${i}].certificate`);
      const key = privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey);
      if (!cert.checkPrivateKey(key)) {
        throw new DataProtectionConfigurationError(
          `unprotectKeysWithAnyCertificate[${i}]: the private key does not belong to the certificate '${cert.subject}'.`,
        );
      }
      return { certificate: cert, privateKey: key };
    });
  }

  decrypt(encryptedElement: Element): Element {
    const method = find(encryptedElement, 'EncryptionMethod')?.getAttribute('Algorithm');
    if (method !== AES256_CBC) {
      throw new KeyDecryptionError(
        `Unsupported XML encryption algorithm '${method}'; expected ${AES256_CBC}.`,
      );
    }
    const encryptedKey = find(encryptedElement, 'EncryptedKey');
    if (!encryptedKey) throw new KeyDecryptionError('The encrypted key element has no EncryptedKey.');
    const certText = find(encryptedKey, 'X509Certificate');
    const wrapped = find(encryptedKey, 'CipherValue');
    if (!wrapped) throw new KeyDecryptionError('The EncryptedKey element has no CipherValue.');
    const candidates = certText
      ? this.#certificates.filter(({ certificate }) =>
          certificate.raw.equals(Buffer.from(textContent(certText).trim(), 'base64')),
        )
      : this.#certificates;
    if (candidates.length === 0) {
      const subject = new X509Certificate(Buffer.from(textContent(certText!).trim(), 'base64')).subject;
      throw new KeyDecryptionError(
        `The key was encrypted with the certificate '${subject.replaceAll('\n', ', ')}', which is not among unprotectKeysWithAnyCertificate.`,
      );
    }
    // The data's CipherData is the last one: EncryptedKey's own CipherData sits inside KeyInfo.
    const dataCipher = childElements(encryptedElement).find((c) => c.localName === 'CipherData');
    const cipherValue = dataCipher && find(dataCipher, 'CipherValue');
    if (!cipherValue) throw new KeyDecryptionError('The EncryptedData element has no CipherValue.');
    const encrypted = Buffer.from(textContent(cipherValue).trim(), 'base64');
    for (const { privateKey } of candidates) {
      try {
        const sessionKey = privateDecrypt(
          { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
          Buffer.from(textContent(wrapped).trim(), 'base64'),
        );
        const decipher = createDecipheriv('aes-256-cbc', sessionKey, encrypted.subarray(0, 16));
        decipher.setAutoPadding(false);
        const padded = Buffer.concat([decipher.update(encrypted.subarray(16)), decipher.final()]);
        // ISO 10126: only the last byte (the pad length) is meaningful.
        const pad = padded[padded.length - 1] ?? 0;
        if (pad < 1 || pad > 16) continue;
        return parseXmlElement(
          padded.subarray(0, padded.length - pad).toString('utf8'),
          'a certificate-encrypted key',
        );
      } catch {
        // try the next certificate with the same public key, if any
      }
    }
    throw new KeyDecryptionError('The key could not be decrypted with the configured certificate(s).');
  }
}
