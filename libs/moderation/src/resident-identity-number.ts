// GB 11643-1999: weights of the first 17 digits, and the check character for each sum mod 11.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = '10X98765432';

/**
 * A mainland China resident identity number: 6-digit area, YYYYMMDD birth date,
 * 3-digit sequence, check character. Requiring a real date and the right check
 * character keeps arbitrary 18-digit numbers (order ids, timestamps) out.
 */
export function isResidentIdentityNumber(candidate: string): boolean {
  if (!/^[1-9]\d{16}[\dXx]$/.test(candidate)) return false;
  const year = Number(candidate.slice(6, 10));
  const month = Number(candidate.slice(10, 12));
  const day = Number(candidate.slice(12, 14));
  if (year < 1800 || !isCalendarDate(year, month, day)) return false;
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) sum += (candidate.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11] === candidate[17]!.toUpperCase();
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
