const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC1123 = /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * A date as .NET's "r" format writes it (RFC 1123, `Sun, 06 Dec 2026 10:00:00 GMT`), the form of
 * `.issued` and `.expires` in a ticket and of a cookie's `expires`: whole seconds, the milliseconds dropped.
 */
export function formatHttpDate(date: Date): string {
  // toUTCString is this exact form for the years a ticket can hold (1000 to 9999).
  return date.toUTCString();
}

/**
 * The date in a "r" string, or undefined where .NET's exact parse fails: another layout, a day name that
 * does not match the date, a field out of range.
 */
export function parseHttpDate(text: string): Date | undefined {
  const match = RFC1123.exec(text);
  if (match === null) return undefined;
  const [, dayName, day, monthName, year, hours, minutes, seconds] = match as unknown as string[];
  const month = MONTHS.indexOf(monthName!);
  if (month === -1) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), month, Number(day));
  date.setUTCHours(Number(hours), Number(minutes), Number(seconds));
  // The setters roll 31 Feb into March and 25:00 into the next day; .NET refuses both.
  if (
    date.getUTCFullYear() !== Number(year) ||
    date.getUTCDate() !== Number(day) ||
    date.getUTCMonth() !== month ||
    date.getUTCHours() !== Number(hours) ||
    date.getUTCMinutes() !== Number(minutes) ||
    date.getUTCSeconds() !== Number(seconds) ||
    DAYS[date.getUTCDay()] !== dayName
  ) {
    return undefined;
  }
  return date;
}
