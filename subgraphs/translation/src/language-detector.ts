import { eld } from 'eld/medium';
import { findLanguage } from './supported-languages';

export interface LanguageGuess {
  /** BCP 47 tag, or "und" when the text is too short or too mixed to tell. */
  language: string;
  /** 0 to 1; 0 exactly when undetermined. */
  confidence: number;
}

export const UNDETERMINED = 'und';

/** Characters written differently in the two Chinese scripts, for telling zh-CN from zh-TW (the detector says only "zh"). */
const SIMPLIFIED = new Set('这个们来说时国会对为学发后么样见还过经长开关问间里东车话语请谢书电气们边让认识进应该网络');
const TRADITIONAL = new Set('這個們來說時國會對為學發後麼樣見還過經長開關問間裡東車話語請謝書電氣們邊讓認識進應該網絡');

/**
 * Language detection with ELD (an n-gram detector that, unlike franc, holds up
 * on sentence-length text). The confidence is the winner's lead over the
 * runner-up, relative to its score: close calls (Russian against Ukrainian on
 * one line) come out near 0.5, clear ones near 1.
 */
export function createLanguageDetector(): { detect(text: string): LanguageGuess } {
  return {
    detect(text) {
      const letters = text.replace(/[\s\p{P}\p{S}\p{N}]/gu, '');
      if (letters.length < 2) return { language: UNDETERMINED, confidence: 0 };
      const result = eld.detect(text.slice(0, 2_000));
      if (!result.language || !result.isReliable()) return { language: UNDETERMINED, confidence: 0 };
      const scores = Object.values(result.getScores()).sort((a, b) => b - a);
      const [top = 0, second = 0] = scores;
      const confidence = top > 0 ? Math.min(1, 0.5 + (top - second) / top) : 0;
      const language = result.language === 'zh' ? chineseScript(text) : (findLanguage(result.language)?.code ?? result.language);
      return { language, confidence: Math.round(confidence * 100) / 100 };
    },
  };
}

function chineseScript(text: string): string {
  let simplified = 0;
  let traditional = 0;
  for (const ch of text) {
    if (SIMPLIFIED.has(ch) && !TRADITIONAL.has(ch)) simplified++;
    else if (TRADITIONAL.has(ch) && !SIMPLIFIED.has(ch)) traditional++;
  }
  return traditional > simplified ? 'zh-TW' : 'zh-CN';
}
