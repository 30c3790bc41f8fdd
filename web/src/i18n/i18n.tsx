import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { usePreference, writePreference } from '../ui/preferences';
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

/**
 * The interface's words in English and Simplified Chinese. The language is
 * the browser's (zh* → 简体中文) until the person picks one; a message is a
 * string with {named} placeholders.
 */
export type Locale = 'en' | 'zh-CN';
export const LOCALES: { id: Locale; name: string }[] = [
  { id: 'en', name: 'English' },
  { id: 'zh-CN', name: '简体中文' },
];

const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

interface I18n {
  locale: Locale;
  t: Translate;
  setLocale(locale: Locale): void;
  formatDate(iso: string): string;
  formatUsd(amount: number): string;
}

const I18nContext = createContext<I18n | null>(null);

export function browserLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  for (const language of languages) {
    if (/^zh\b/i.test(language)) return 'zh-CN';
    if (/^en\b/i.test(language)) return 'en';
  }
  return 'en';
}

export function translator(locale: Locale): Translate {
  const dictionary = DICTIONARIES[locale];
  return (key, params) => {
    const text = dictionary[key] ?? en[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (match, name: string) => String(params[name] ?? match)) : text;
  };
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const stored = usePreference('locale');
  const locale: Locale = stored === 'en' || stored === 'zh-CN' ? stored : browserLocale();
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo<I18n>(() => {
    const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const usd = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
    return {
      locale,
      t: translator(locale),
      setLocale: (next) => writePreference('locale', next),
      formatDate: (iso) => dates.format(new Date(iso)),
      formatUsd: (amount) => usd.format(amount),
    };
  }, [locale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside <I18nProvider>');
  return i18n;
}
