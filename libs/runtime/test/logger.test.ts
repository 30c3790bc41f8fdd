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

  it('writes trace and span ids as they are, digit runs and all, while it still masks a card number beside them', () => {
    const logs = captureLogs('info');
    const ids = { trace_id: 'a4111111111111111b2c3d4e5f6a7b8c', span_id: '0013800138000aaa' };
    logs.logger.info({ ...ids, note: 'card 4111 1111 1111 1111' }, 'traced');
    const [line] = logs.lines();
    expect(line).toMatchObject(ids);
    expect(logs.text()).not.toContain('4111 1111 1111 1111');
  });
});
