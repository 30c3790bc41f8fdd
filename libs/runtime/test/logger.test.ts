import { captureLogs } from '@parley/testing';
import { describe, expect, it } from 'vitest';

describe('the structured logger', () => {
  it('writes JSON lines with the service name and never the secrets it is handed', () => {
    const logs = captureLogs('info');
    logs.logger.info(
      { headers: { authorization: 'Bearer eyJsecret' }, input: { password: 'hunter2hunter2' }, refreshToken: 'rt-secret' },
      'login',
    );
    const [line] = logs.lines();
    expect(line).toMatchObject({ service: 'test', msg: 'login' });
    expect(logs.text()).not.toMatch(/eyJsecret|hunter2|rt-secret/);
  });
});
