import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ForbiddenError, NotFoundError, UnauthenticatedError, UpstreamUnavailableError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import * as oidc from 'openid-client';
import { LinkedIdentity, OidcLoginAttempt } from './entities/linked-identity';
import { User } from './entities/user';
import { createUserDirectory } from './user-directory';
import type { OidcProviderSettings } from './users-settings';

const ATTEMPT_TTL_MS = 10 * 60_000;

/**
 * Sign-in with external OpenID Connect providers (openid-client): the
 * authorization code flow with PKCE, state and nonce. The verifier and nonce
 * stay on the server, keyed by state, so any users replica can finish a login
 * another one started. Accounts are linked by the provider's verified e-mail.
 */
export function createOidcLogin({ providers, clock }: { providers: OidcProviderSettings[]; clock: Clock }) {
  const discovered = new Map<string, Promise<oidc.Configuration>>();

  function providerSettings(id: string): OidcProviderSettings {
    const provider = providers.find((p) => p.id === id);
    if (!provider) {
      throw new NotFoundError(`No identity provider "${id}"; configured: ${providers.map((p) => p.id).join(', ') || 'none'}.`);
    }
    return provider;
  }

  function configuration(provider: OidcProviderSettings): Promise<oidc.Configuration> {
    let config = discovered.get(provider.id);
    if (!config) {
      const issuer = new URL(provider.issuer);
      // Plain HTTP only for an issuer on this machine (development and tests).
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      config = oidc
        .discovery(
          issuer,
          provider.clientId,
          provider.clientSecret,
          undefined,
          loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          discovered.delete(provider.id);
          throw new UpstreamUnavailableError(
            `The identity provider "${provider.id}" could not be reached; try again later.`,
            {},
            { cause: error },
          );
        });
      discovered.set(provider.id, config);
    }
    return config;
  }

  return {
    list: () => providers.map(({ id, displayName }) => ({ id, displayName })),

    async start(em: EntityManager, providerId: string, redirectUri: string): Promise<{ authorizationUrl: string; state: string }> {
      const provider = providerSettings(providerId);
      let redirect: URL;
      try {
        redirect = new URL(redirectUri);
      } catch {
        throw new BadUserInputError('redirectUri must be an absolute http(s) URL.', { field: 'redirectUri' });
      }
      if (!['http:', 'https:'].includes(redirect.protocol) || redirectUri.length > 2000) {
        throw new BadUserInputError('redirectUri must be an absolute http(s) URL.', { field: 'redirectUri' });
      }
      const config = await configuration(provider);
      const attempt = new OidcLoginAttempt();
      attempt.state = oidc.randomState();
      attempt.provider = provider.id;
      attempt.codeVerifier = oidc.randomPKCECodeVerifier();
      attempt.nonce = oidc.randomNonce();
      attempt.redirectUri = redirectUri;
      attempt.expiresAt = new Date(clock.now().getTime() + ATTEMPT_TTL_MS);
      // Abandoned attempts do not pile up: each start clears the expired ones.
      await em.nativeDelete(OidcLoginAttempt, { expiresAt: { $lt: clock.now() } });
      await em.persist(attempt).flush();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(attempt.codeVerifier),
        code_challenge_method: 'S256',
        state: attempt.state,
        nonce: attempt.nonce,
      });
      return { authorizationUrl: url.href, state: attempt.state };
    },

    /** Returns the signed-in user (found, linked or created). */
    async finish(em: EntityManager, providerId: string, callbackUrl: string): Promise<User> {
      const provider = providerSettings(providerId);
      let callback: URL;
      try {
        callback = new URL(callbackUrl);
      } catch {
        throw new BadUserInputError('callbackUrl must be the full URL the provider redirected to.', { field: 'callbackUrl' });
      }
      const state = callback.searchParams.get('state') ?? '';
      // One use only: the attempt is taken (deleted) before anything else, so two finishes with one callback
      // cannot both get past this point, whether or not the exchange then succeeds.
      const attempt = await em.findOne(OidcLoginAttempt, { state, provider: provider.id }, { connectionType: 'write' });
      const taken = attempt ? await em.nativeDelete(OidcLoginAttempt, { state, provider: provider.id }) : 0;
      if (!attempt || taken === 0 || attempt.expiresAt < clock.now()) {
        throw new UnauthenticatedError('This sign-in was not started here, was already finished, or took too long; start again.');
      }
      if (callback.searchParams.get('error')) {
        throw new UnauthenticatedError(`The identity provider refused the sign-in: ${callback.searchParams.get('error')}.`);
      }
      const config = await configuration(provider);
      let claims: Record<string, unknown> & { sub?: string };
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: attempt.codeVerifier,
          expectedState: attempt.state,
          expectedNonce: attempt.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims()!;
        // Providers put scope claims (email, name) in the ID token or only at the UserInfo endpoint; ask there too.
        const userInfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
        claims = { ...idToken, ...userInfo };
      } catch (error) {
        throw new UnauthenticatedError('The identity provider did not confirm this sign-in; start again.', {}, { cause: error });
      }
      if (!claims.sub || typeof claims['email'] !== 'string' || claims['email_verified'] !== true) {
        throw new ForbiddenError(
          `The identity provider "${provider.id}" did not confirm a verified e-mail address, so the account cannot be linked.`,
        );
      }
      return linkAccount(em, provider.id, claims.sub, claims['email'], typeof claims['name'] === 'string' ? claims['name'] : null);
    },
  };

  async function linkAccount(em: EntityManager, provider: string, subject: string, email: string, name: string | null): Promise<User> {
    return em.transactional(async (tx) => {
      const linked = await tx.findOne(LinkedIdentity, { provider, subject });
      if (linked) return tx.findOneOrFail(User, { id: linked.userId });
      const directory = createUserDirectory({ em: tx, clock });
      const normalized = email.trim().toLowerCase();
      const user =
        (await directory.findByEmail(normalized)) ??
        (await directory.create({ email: normalized, displayName: name?.slice(0, 100) ?? null }));
      const identity = new LinkedIdentity();
      identity.provider = provider;
      identity.subject = subject;
      identity.userId = user.id;
      identity.email = normalized;
      identity.linkedAt = clock.now();
      tx.persist(identity);
      return user;
    });
  }
}

export type OidcLogin = ReturnType<typeof createOidcLogin>;
