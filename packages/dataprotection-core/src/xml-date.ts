import { XmlKeyFormatError } from './errors.ts';

/**
 * xs:dateTime as .NET's XmlConvert writes a UTC DateTimeOffset: fraction with trailing zeros dropped, 'Z'.
 * JavaScript dates carry milliseconds, so at most three fraction digits are written.
 */
export function formatXmlDate(date: Date): string {
  const iso = date.toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  const [seconds, fraction = ''] = iso.slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${seconds}${trimmed ? `.${trimmed}` : ''}Z`;
}

const XS_DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/** Reads any valid xs:dateTime (up to 7 fraction digits from .NET; sub-millisecond digits are dropped). */
export function parseXmlDate(text: string, what: string): Date {
  const match = XS_DATE_TIME.exec(text.trim());
  if (!match) throw new XmlKeyFormatError(`${what} '${text}' is not an xs:dateTime.`);
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const millis = Number(`${fraction}000`.slice(0, 3));
  let time = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    millis,
  );
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    time -= sign * ((zh ?? 0) * 60 + (zm ?? 0)) * 60_000;
  }
  if (Number.isNaN(time)) throw new XmlKeyFormatError(`${what} '${text}' is not a valid date.`);
  return new Date(time);
}

/**
 * The timestamp in the friendly name of a mass revocation: UTC yyyyMMddTHHmmssFFFFFFFZ, fraction digits
 * with trailing zeros dropped.
 */
export function formatCompactUtc(date: Date): string {
  const iso = date.toISOString();
  const compact = iso.slice(0, 19).replaceAll('-', '').replaceAll(':', '');
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${compact}${fraction}Z`;
}
