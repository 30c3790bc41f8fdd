import type { Metrics } from '@parley/telemetry';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, UnauthenticatedError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import type { AccessTokenIssuer } from './access-tokens';
import { User } from './entities/user';
import type { PasswordHasher } from './password-hasher';
import { assertAcceptablePassword, MAX_PASSWORD_LENGTH } from './password-policy';
import type { AuthRateLimits } from './rate-limits';
import { createSessions, type SessionPolicy, type SessionRevocations } from './sessions';
import { createUserDirectory, normalizeDisplayName, normalizeEmail } from './user-directory';

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: User;
}

export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}

export interface AccountsDependencies {
  em: EntityManager;
  clock: Clock;
  hasher: PasswordHasher;
  sessionPolicy: SessionPolicy;
  tokens: AccessTokenIssuer;
  /** Where ended sessions' access tokens are ended too. */
  revocations: SessionRevocations;
  limits: AuthRateLimits;
  /** Accounts with these e-mails are admins. */
  adminEmails: readonly string[];
  /** Counts refused sign-ins (the alert on authentication failures watches them). */
  metrics: Metrics;
}

const WRONG_CREDENTIALS = 'Incorrect e-mail or password.';

/** Registration, sign-in, token refresh, sign-out and password changes. */
export function createAccounts({
  em,
  clock,
  hasher,
  sessionPolicy,
  tokens,
  revocations,
  limits,
  adminEmails,
  metrics,
}: AccountsDependencies) {
  const wrongCredentials = () => {
    metrics.edge.authenticationFailures.inc({ reason: 'password' });
    return new UnauthenticatedError(WRONG_CREDENTIALS);
  };
  const directory = createUserDirectory({ em, clock });
  const sessions = createSessions({ em, clock, policy: sessionPolicy, revocations });
  const rolesFor = (email: string) => (adminEmails.includes(email) ? ['user', 'admin'] : ['user']);

  async function signIn(user: User, userAgent: string | null): Promise<AuthPayload> {
    const { refreshToken, sessionId } = await sessions.start(user.id, userAgent);
    const { token, expiresAt } = await tokens.issue({ userId: user.id, roles: user.roles, sessionId });
    return { accessToken: token, refreshToken, expiresAt, user };
  }

  /** Keeps roles in step with ADMIN_EMAILS, so the first admin needs no default password anywhere. */
  async function syncRoles(user: User): Promise<void> {
    const wanted = rolesFor(user.email);
    if (wanted.includes('admin') && !user.roles.includes('admin')) {
      user.roles = [...new Set([...user.roles, 'admin'])];
      await em.flush();
    }
  }

  return {
    async register(input: { email: string; password: string; displayName?: string | null }, origin: RequestOrigin): Promise<AuthPayload> {
      const email = normalizeEmail(input.email);
      const displayName = normalizeDisplayName(input.displayName ?? email.split('@')[0]!);
      assertAcceptablePassword(input.password, email);
      await limits.registrationAttempt(email, origin.ip);
      const passwordHash = await hasher.hash(input.password);
      const user = await directory.create({ email, displayName, passwordHash, roles: rolesFor(email) });
      return signIn(user, origin.userAgent);
    },

    async login(emailInput: string, password: string, origin: RequestOrigin): Promise<AuthPayload> {
      // Count the attempt before anything else, even for malformed input: attempts are what is limited.
      const email = emailInput.trim().toLowerCase().slice(0, 254);
      await limits.loginAttempt(email, origin.ip);
      if (password.length > MAX_PASSWORD_LENGTH) throw wrongCredentials();
      const user = await directory.findByEmail(email, { withPassword: true });
      if (!user || !user.passwordHash) {
        // Same work, same answer as a wrong password: no one learns which e-mails have accounts.
        await hasher.verifyNothing(password);
        throw wrongCredentials();
      }
      if (!(await hasher.verify(user.passwordHash, password))) throw wrongCredentials();
      await limits.loginSucceeded(email, origin.ip);
      await syncRoles(user);
      return signIn(user, origin.userAgent);
    },

    async refresh(refreshToken: string): Promise<AuthPayload> {
      const sign = await tokens.prepare();
      return sessions.rotate(refreshToken, async (issued, tx) => {
        const user = await tx.findOne(User, { id: issued.userId });
        if (!user) throw new UnauthenticatedError('This account no longer exists.');
        const { token, expiresAt } = await sign({ userId: user.id, roles: user.roles, sessionId: issued.sessionId });
        return { accessToken: token, refreshToken: issued.refreshToken, expiresAt, user };
      });
    },

    logout: (refreshToken: string) => sessions.endByToken(refreshToken),

    /** Starts a session for a user proven by other means (an identity provider). */
    async signInAs(user: User, origin: RequestOrigin): Promise<AuthPayload> {
      await syncRoles(user);
      return signIn(user, origin.userAgent);
    },

    async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void> {
      // Counted before the check, like a sign-in: with a stolen access token this is a way to test guesses at the
      // password, and concurrent guesses must not slip past the count. A wrong one ends nothing: the caller may be an
      // attacker, and the owner's sessions stay.
      await limits.passwordChangeAttempt(userId);
      const user = await em.findOneOrFail(User, { id: userId }, { populate: ['passwordHash'] as never, connectionType: 'write' });
      if (!user.passwordHash || !(await hasher.verify(user.passwordHash, currentPassword))) {
        throw new BadUserInputError('The current password is not correct.', { field: 'currentPassword' });
      }
      await limits.passwordChangeVerified(userId);
      assertAcceptablePassword(newPassword, user.email, 'newPassword');
      if (await hasher.verify(user.passwordHash, newPassword)) {
        throw new BadUserInputError('The new password must differ from the current one.', { field: 'newPassword' });
      }
      const passwordHash = await hasher.hash(newPassword);
      const ended = await em.transactional(async (tx) => {
        await tx.nativeUpdate(User, { id: userId }, { passwordHash, passwordChangedAt: clock.now(), updatedAt: clock.now() });
        // Whoever knew the old password may hold sessions: end them all.
        return createSessions({ em: tx, clock, policy: sessionPolicy, revocations }).endAll(userId, 'password-change');
      });
      await revocations.revoke(ended);
    },

    async updateSettings(
      userId: string,
      input: { preferredLanguage?: string | null; defaultModel?: string | null; autoTranslate?: boolean | null },
    ): Promise<User> {
      const user = await em.findOneOrFail(User, { id: userId }, { connectionType: 'write' });
      if (input.preferredLanguage !== undefined) {
        if (input.preferredLanguage === null)
          throw new BadUserInputError('preferredLanguage cannot be null.', { field: 'preferredLanguage' });
        user.preferredLanguage = canonicalLanguageTag(input.preferredLanguage);
      }
      if (input.defaultModel !== undefined) user.defaultModel = input.defaultModel === null ? null : validModelId(input.defaultModel);
      if (input.autoTranslate !== undefined) {
        if (input.autoTranslate === null) throw new BadUserInputError('autoTranslate cannot be null.', { field: 'autoTranslate' });
        user.autoTranslate = input.autoTranslate;
      }
      user.updatedAt = clock.now();
      await em.flush();
      return user;
    },

    async updateProfile(userId: string, input: { displayName?: string | null }): Promise<User> {
      const user = await em.findOneOrFail(User, { id: userId }, { connectionType: 'write' });
      if (input.displayName !== undefined && input.displayName !== null) user.displayName = normalizeDisplayName(input.displayName);
      user.updatedAt = clock.now();
      await em.flush();
      return user;
    },
  };
}

/** BCP 47, canonicalized ("zh-cn" → "zh-CN"). */
export function canonicalLanguageTag(tag: string, field = 'preferredLanguage'): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.trim());
    if (canonical && canonical.length <= 35) return canonical;
  } catch {
    // fall through
  }
  throw new BadUserInputError(`"${tag.slice(0, 40)}" is not a BCP 47 language tag (e.g. "en", "zh-CN").`, { field });
}

function validModelId(id: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,31}\/[A-Za-z0-9._:-]{1,100}$/.test(id)) {
    throw new BadUserInputError(`"${id.slice(0, 60)}" is not a model id; ids look like "provider/model", e.g. "dev/echo".`, {
      field: 'defaultModel',
    });
  }
  return id;
}

export type Accounts = ReturnType<typeof createAccounts>;
