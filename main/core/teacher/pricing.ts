// Cost of teacher requests from a configurable price table (US$ per 1M input / output tokens).
// The defaults are public list prices of the providers at the time of writing (standard tier, no batch or
// cached-input discounts). They are NOT authoritative: a site must check them against its own contract
// (Azure prices differ by region and agreement) and set its own in the teacher settings.
import type { TeacherPrice } from './types.js';

export const DEFAULT_PRICES: Record<string, TeacherPrice> = {
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gpt-4-turbo': { inputPerMTok: 10, outputPerMTok: 30 },
};

/**
 * The price for a model: an exact entry, else the longest entry that prefixes the name
 * (so 'gpt-4o-2024-08-06' uses 'gpt-4o'), else null (unknown: cost cannot be computed).
 */
export function priceFor(prices: Record<string, TeacherPrice>, model: string): TeacherPrice | null {
  if (prices[model]) return prices[model];
  let best: string | null = null;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(name) && (best === null || name.length > best.length)) best = name;
  }
  return best === null ? null : prices[best];
}

export function costUsd(price: TeacherPrice | null, promptTokens: number, completionTokens: number): number {
  if (!price) return 0;
  return (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6;
}
