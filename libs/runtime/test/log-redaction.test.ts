import { captureLogs } from '@parley/testing';
import { describe, expect, it } from 'vitest';

const EMAIL = 'alice@example.com';
const PHONE = '+86 138 1234 5678';
const CARD = '4111 1111 1111 1111';
const RESIDENT_ID = '11010519491231002X';
// Each piece of personal data, and the digits alone (a masked value must not survive regrouped).
const LEAKS = /alice@example|138 ?1234 ?5678|4111[ -]?1111|11010519491231002X/;

describe('personal data in logs', () => {
  it('never writes an e-mail, phone, card number or resident ID logged inside the message string', () => {
    const logs = captureLogs('info');
    logs.logger.info(`user ${EMAIL} called from ${PHONE} paying with ${CARD}, 身份证${RESIDENT_ID}，手机13812345678`);
    expect(logs.text()).not.toMatch(LEAKS);
    expect(logs.text()).not.toContain('13812345678');
    expect(logs.lines()[0]).toMatchObject({
      msg: 'user [email] called from [phone] paying with [payment_card], 身份证[national_id]，手机[phone]',
    });
  });

  it('never writes them from nested objects, arrays, numbers or a child logger, and keeps each line valid JSON', () => {
    const logs = captureLogs('info');
    logs.logger.child({ requester: { email: EMAIL } }).warn(
      {
        user: { contact: { emails: [EMAIL], phone: PHONE }, identity: { residentId: RESIDENT_ID } },
        payment: { card: CARD.replaceAll(' ', '-'), cardAsNumber: 4111111111111111 },
      },
      'payment declined',
    );
    expect(logs.text()).not.toMatch(LEAKS);
    expect(logs.lines()[0]).toMatchObject({
      requester: { email: '[email]' },
      user: { contact: { emails: ['[email]'], phone: '[phone]' }, identity: { residentId: '[national_id]' } },
      payment: { card: '[payment_card]', cardAsNumber: '[payment_card]' },
      msg: 'payment declined',
    });
  });

  it('finds personal data behind JSON escapes, as in an error stack', () => {
    const logs = captureLogs('info');
    logs.logger.error({ err: new Error(`charge failed:\n${CARD}\t"${EMAIL}"`) }, 'charge failed');
    expect(logs.text()).not.toMatch(LEAKS);
    expect((logs.lines()[0]!['err'] as { message: string }).message).toBe('charge failed:\n[payment_card]\t"[email]"');
  });

  it('still censors secrets by key and leaves ordinary values alone', () => {
    const logs = captureLogs('info');
    logs.logger.info({ password: 'hunter2hunter2', durationMs: 1234, requestId: '3f2a1b4c-1234-4abc-9def-123456789012' }, 'done in 2024');
    expect(logs.lines()[0]).toMatchObject({
      password: '[redacted]',
      durationMs: 1234,
      requestId: '3f2a1b4c-1234-4abc-9def-123456789012',
      msg: 'done in 2024',
    });
  });
});
