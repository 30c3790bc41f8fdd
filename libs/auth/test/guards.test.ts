import { ErrorCode, ForbiddenError, UnauthenticatedError } from '@parley/errors';
import { describe, expect, it } from 'vitest';
import { hasScope, isAdmin, requireAdmin, requireScope, requireViewer, type Viewer } from '../src';

const person: Viewer = { userId: 'u1', roles: ['user'], tokenId: 't1', sessionId: 's1', scopes: null, apiKeyId: null };
const admin: Viewer = { ...person, roles: ['user', 'admin'] };
const chatKey: Viewer = { ...person, sessionId: null, scopes: ['chat'], apiKeyId: 'k1' };

describe('the guards', () => {
  it('requireViewer hands back the viewer, and refuses the anonymous with UNAUTHENTICATED and the words given', () => {
    expect(requireViewer(person)).toBe(person);
    expect(() => requireViewer(null)).toThrow(UnauthenticatedError);
    expect(() => requireViewer(undefined)).toThrow('Sign in first: send an access token as "Authorization: Bearer <token>".');
    expect(() => requireViewer(null, 'Sign in to translate.')).toThrow('Sign in to translate.');
    try {
      requireViewer(null);
    } catch (error) {
      expect((error as UnauthenticatedError).code).toBe(ErrorCode.UNAUTHENTICATED);
    }
  });

  it('requireScope lets a person’s own session do everything, and an API key only what its scopes name', () => {
    expect(hasScope(person, 'models')).toBe(true);
    expect(hasScope(chatKey, 'chat')).toBe(true);
    expect(hasScope(chatKey, 'models')).toBe(false);
    expect(hasScope({ ...chatKey, scopes: [] }, 'chat')).toBe(false);
    expect(requireScope(chatKey, 'chat')).toBe(chatKey);
    expect(() => requireScope(chatKey, 'models')).toThrow(ForbiddenError);
    expect(() => requireScope(chatKey, 'models')).toThrow('This API key lacks the "models" scope; create a key with scopes ["models"].');
    expect(() => requireScope(chatKey, 'models', 'Not with this key.')).toThrow('Not with this key.');
  });

  it('requireAdmin refuses anyone without the admin role with FORBIDDEN', () => {
    expect(isAdmin(admin)).toBe(true);
    expect(isAdmin(person)).toBe(false);
    expect(requireAdmin(admin)).toBe(admin);
    expect(() => requireAdmin(person)).toThrow(ForbiddenError);
    expect(() => requireAdmin(person, 'Only admins can rotate signing keys.')).toThrow('Only admins can rotate signing keys.');
  });
});
