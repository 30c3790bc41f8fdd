/** One upstream that turns texts of one language into another. */
export interface TranslationProvider {
  /** "llm" or "libretranslate": part of the cache key and of every quality record. */
  readonly name: string;
  /** The model (or engine) behind it, also part of the cache key: a new model never serves an old model's cached answers. */
  readonly model: string;
  /**
   * Translates every text, answering in the same order. `from` is a BCP 47
   * tag or "und" (let the provider tell). Throws UpstreamUnavailableError when
   * the provider cannot answer.
   */
  translate(request: { texts: string[]; from: string; to: string; userId: string; signal?: AbortSignal }): Promise<string[]>;
}
