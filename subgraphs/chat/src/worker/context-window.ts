import { countTokens } from 'gpt-tokenizer';

export interface Turn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Role and separators a chat message costs beyond its text, as OpenAI's chat format counts them. */
const PER_MESSAGE_OVERHEAD = 4;

/**
 * The history that fits a model's context window with room left for the
 * reply: system prompts are always kept, then the newest turns, dropping the
 * oldest first. Null when even the newest turn alone does not fit.
 */
export function fitToContextWindow(turns: Turn[], contextWindow: number, replyReserve: number): Turn[] | null {
  const budget = contextWindow - replyReserve;
  const cost = (t: Turn) => PER_MESSAGE_OVERHEAD + countTokens(t.content);
  const system = turns.filter((t) => t.role === 'system');
  let used = system.reduce((sum, t) => sum + cost(t), 3);
  const kept: Turn[] = [];
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    if (turn.role === 'system') continue;
    const c = cost(turn);
    if (used + c > budget) break;
    used += c;
    kept.unshift(turn);
  }
  if (kept.length === 0) return null;
  return [...system, ...kept];
}
