/** USD for a request: tokens × the deployment's price per million tokens. */
export function costUsd(
  promptTokens: number,
  completionTokens: number,
  prices: { inputPricePerMTok: number; outputPricePerMTok: number },
): number {
  return (promptTokens * prices.inputPricePerMTok + completionTokens * prices.outputPricePerMTok) / 1_000_000;
}
