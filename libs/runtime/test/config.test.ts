import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig, namespaceFrom, namespaceSettings } from '../src';

const schema = z.object({
  PORT: env.port(4000),
  DATABASE_URL: env.url(['postgres:'], 'a postgres:// URL'),
  KAFKA_BROKERS: env.hostPortList(),
});

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgres://db:5432/x', KAFKA_BROKERS: 'a:9092, b:9093' });
    expect(config).toEqual({ PORT: 4000, DATABASE_URL: 'postgres://db:5432/x', KAFKA_BROKERS: ['a:9092', 'b:9093'] });
  });

  it('names every bad variable, says what is expected and what it got', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: '99999', KAFKA_BROKERS: 'nope' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toContain('PORT: must be between 0 and 65535 (got "99999")');
    expect(problems).toContain('DATABASE_URL: must be a postgres:// URL (it is not set)');
    expect(problems.find((p) => p.startsWith('KAFKA_BROKERS'))).toMatch(/host:port/);
  });

  it('never echoes a password from a URL', () => {
    expect(() => loadConfig(schema, { DATABASE_URL: 'mysql://user:hunter2@db/x' })).toThrow(/mysql:\/\/user:\*\*\*@db\/x/);
    expect(() => loadConfig(schema, { DATABASE_URL: 'mysql://user:hunter2@db/x' })).not.toThrow(/hunter2/);
  });
});

describe('env.trustedProxies', () => {
  const schema = z.object({ TRUSTED_PROXIES: env.trustedProxies('127.0.0.1,::1') });

  it('reads a comma-separated list of addresses and CIDR ranges, with its default when unset', () => {
    expect(loadConfig(schema, {}).TRUSTED_PROXIES).toEqual(['127.0.0.1', '::1']);
    expect(loadConfig(schema, { TRUSTED_PROXIES: ' 10.0.0.0/8 , fd00::/8,*' }).TRUSTED_PROXIES).toEqual(['10.0.0.0/8', 'fd00::/8', '*']);
    expect(loadConfig(schema, { TRUSTED_PROXIES: '' }).TRUSTED_PROXIES).toEqual([]);
  });

  it('fails start on an entry that is not an address, naming it', () => {
    expect(() => loadConfig(schema, { TRUSTED_PROXIES: '10.0.0.1,gateway' })).toThrow(
      /TRUSTED_PROXIES: "gateway" is not an IP address or a CIDR range/,
    );
  });
});

describe('namespaceFrom', () => {
  const schema = z.object(namespaceSettings);

  it('reads PARLEY_NAMESPACE, and KAFKA_TOPIC_PREFIX (its former name) only when it is not set', () => {
    expect(namespaceFrom(loadConfig(schema, { PARLEY_NAMESPACE: 'prod.' }))).toBe('prod.');
    expect(namespaceFrom(loadConfig(schema, { KAFKA_TOPIC_PREFIX: 'legacy.' }))).toBe('legacy.');
    expect(namespaceFrom(loadConfig(schema, { PARLEY_NAMESPACE: 'prod.', KAFKA_TOPIC_PREFIX: 'legacy.' }))).toBe('prod.');
  });

  it('is empty when neither is set', () => {
    expect(namespaceFrom(loadConfig(schema, {}))).toBe('');
  });
});
