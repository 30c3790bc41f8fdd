/**
 * A label value from an open set (operation names are the client's to choose) kept bounded: the first `limit`
 * distinct values pass, every later one is `other`, and a missing one is `anonymous`. Without it one client sending
 * random operation names would grow the gateway's series, and Prometheus's memory, without end.
 */
export function boundedLabel(limit: number): (value: string | null | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (!value) return 'anonymous';
    if (seen.has(value)) return value;
    if (seen.size >= limit) return 'other';
    seen.add(value);
    return value;
  };
}
