import { BadUserInputError } from '@parley/errors';

export interface SupportedLanguage {
  /** BCP 47 tag, the form every API of Parley uses. */
  code: string;
  /** English name. */
  name: string;
  /** What LibreTranslate (1.6 and later) calls it. */
  libreTranslateCode: string;
}

/** The languages translate(to:, from:) accepts. Order is the order `supportedLanguages` lists them in. */
export const SUPPORTED_LANGUAGES: readonly SupportedLanguage[] = [
  { code: 'ar', name: 'Arabic', libreTranslateCode: 'ar' },
  { code: 'de', name: 'German', libreTranslateCode: 'de' },
  { code: 'en', name: 'English', libreTranslateCode: 'en' },
  { code: 'es', name: 'Spanish', libreTranslateCode: 'es' },
  { code: 'fr', name: 'French', libreTranslateCode: 'fr' },
  { code: 'hi', name: 'Hindi', libreTranslateCode: 'hi' },
  { code: 'id', name: 'Indonesian', libreTranslateCode: 'id' },
  { code: 'it', name: 'Italian', libreTranslateCode: 'it' },
  { code: 'ja', name: 'Japanese', libreTranslateCode: 'ja' },
  { code: 'ko', name: 'Korean', libreTranslateCode: 'ko' },
  { code: 'nl', name: 'Dutch', libreTranslateCode: 'nl' },
  { code: 'pl', name: 'Polish', libreTranslateCode: 'pl' },
  { code: 'pt', name: 'Portuguese', libreTranslateCode: 'pt' },
  { code: 'ru', name: 'Russian', libreTranslateCode: 'ru' },
  { code: 'th', name: 'Thai', libreTranslateCode: 'th' },
  { code: 'tr', name: 'Turkish', libreTranslateCode: 'tr' },
  { code: 'uk', name: 'Ukrainian', libreTranslateCode: 'uk' },
  { code: 'vi', name: 'Vietnamese', libreTranslateCode: 'vi' },
  { code: 'zh-CN', name: 'Chinese (Simplified)', libreTranslateCode: 'zh-Hans' },
  { code: 'zh-TW', name: 'Chinese (Traditional)', libreTranslateCode: 'zh-Hant' },
];

const byLowerCode = new Map(SUPPORTED_LANGUAGES.map((l) => [l.code.toLowerCase(), l]));

/** Tags that name a supported language by another BCP 47 spelling. */
const ALIASES: Record<string, string> = {
  zh: 'zh-CN',
  'zh-hans': 'zh-CN',
  'zh-sg': 'zh-CN',
  'zh-hans-cn': 'zh-CN',
  'zh-hant': 'zh-TW',
  'zh-hk': 'zh-TW',
  'zh-mo': 'zh-TW',
  'zh-hant-tw': 'zh-TW',
};

/** A supported language by its tag, or null. Case-insensitive; a regional tag ("en-US", "pt-BR") falls back to its language. */
export function findLanguage(tag: string): SupportedLanguage | null {
  const lower = tag.trim().toLowerCase();
  const exact = byLowerCode.get(ALIASES[lower]?.toLowerCase() ?? lower);
  if (exact) return exact;
  const primary = lower.split('-')[0] ?? '';
  if (primary === 'zh') return null; // a Chinese tag we do not know: guessing the script would be wrong half the time
  return byLowerCode.get(primary) ?? null;
}

/** The supported language a client named, or BAD_USER_INPUT listing what is supported. */
export function requireLanguage(tag: string, field: string): SupportedLanguage {
  const language = findLanguage(tag);
  if (language) return language;
  const supported = SUPPORTED_LANGUAGES.map((l) => l.code);
  throw new BadUserInputError(`"${tag.slice(0, 35)}" is not a supported language for ${field}. Use one of: ${supported.join(', ')}.`, {
    field,
    supported,
  });
}

/** Whether two tags name the same language and script ("en" and "en-GB" do; "zh-CN" and "zh-TW" do not). */
export function sameLanguage(a: string, b: string): boolean {
  const x = findLanguage(a);
  const y = findLanguage(b);
  return x !== null && y !== null ? x.code === y.code : a.toLowerCase() === b.toLowerCase();
}
