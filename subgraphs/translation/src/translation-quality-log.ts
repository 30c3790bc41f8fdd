import type { Sql } from '@parley/database';

/** What one provider produced for one text: the figures that show a provider drifting. */
export interface QualityRecord {
  provider: string;
  model: string;
  from: string;
  to: string;
  /** What the output was detected as ("und" when too short to tell). */
  detected: string;
  latencyMs: number;
  sourceChars: number;
  /** Output length over input length: far from 1 hints at truncation or a chatty model. */
  lengthRatio: number;
  flagged: boolean;
}

export interface QualityLog {
  record(records: QualityRecord[]): Promise<void>;
}

/** Quality records in translation.translation_quality, one insert per provider call. */
export function createQualityLog(sql: Sql): QualityLog {
  return {
    async record(records) {
      if (records.length === 0) return;
      await sql.insert(
        'translation.translation_quality',
        records.map((r) => ({
          provider: r.provider,
          model: r.model,
          source_language: r.from,
          target_language: r.to,
          detected_language: r.detected,
          latency_ms: Math.round(r.latencyMs),
          source_chars: r.sourceChars,
          length_ratio: Number.isFinite(r.lengthRatio) ? r.lengthRatio : 0,
          flagged: r.flagged,
        })),
      );
    },
  };
}
