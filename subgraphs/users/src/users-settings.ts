import { httpServiceSettings, subgraphAdmissionSettings } from '@parley/runtime';
import { z } from 'zod';

const positiveInt = (fallback: number, what: string) =>
  z.coerce
    .number({ message: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`)
    .default(fallback);

const oidcProvider = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'id must be 1–32 lower-case letters, digits or dashes'),
  displayName: z.string().min(1),
  issuer: z.url('issuer must be a URL'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});

/**
 * What the users service reads from the environment besides the common
 * variables. Each key is the variable's name.
 */
export const usersSettingsSchema = z.object({
  /** 32 random bytes, base64: encrypts the private halves of the signing keys at rest. */
  USERS_KEY_ENCRYPTION_KEY: z
    .string({ message: 'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)' })
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)'),
  /** Accounts with these e-mails are admins (the first admin comes from here, never from a default password). */
  ADMIN_EMAILS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(15 * 60, 'a number of seconds'),
  API_KEY_TOKEN_TTL_SECONDS: positiveInt(5 * 60, 'a number of seconds'),
  /** A session unused this long ends. */
  REFRESH_IDLE_DAYS: positiveInt(30, 'a number of days'),
  /** No session lasts longer than this, used or not. */
  REFRESH_MAX_DAYS: positiveInt(90, 'a number of days'),
  SIGNING_KEY_ROTATION_DAYS: positiveInt(30, 'a number of days'),
  /** Sign-in attempts for one account from one client address a window: guessing locks out only the guesser's address. */
  LOGIN_ATTEMPTS_PER_ACCOUNT: positiveInt(10, 'a whole number'),
  /** Sign-in attempts for one account from all addresses together a window: the ceiling on guessing from many machines. */
  LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES: positiveInt(100, 'a whole number'),
  LOGIN_ATTEMPTS_PER_IP: positiveInt(100, 'a whole number'),
  LOGIN_WINDOW_SECONDS: positiveInt(15 * 60, 'a number of seconds'),
  /** Password changes with a wrong current password per account a window (a stolen access token must not test guesses). */
  PASSWORD_CHANGE_ATTEMPTS_PER_ACCOUNT: positiveInt(5, 'a whole number'),
  PASSWORD_CHANGE_WINDOW_SECONDS: positiveInt(15 * 60, 'a number of seconds'),
  REGISTRATIONS_PER_IP: positiveInt(20, 'a whole number'),
  REGISTRATION_WINDOW_SECONDS: positiveInt(60 * 60, 'a number of seconds'),
  /** JSON array: [{"id":"corp","displayName":"Corp SSO","issuer":"https://…","clientId":"…","clientSecret":"…"}]. */
  OIDC_PROVIDERS: z
    .string()
    .default('[]')
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of providers' });
        return z.NEVER;
      }
    })
    .pipe(z.array(oidcProvider, { message: 'must be a JSON array of providers' })),
  /** MAX_CONCURRENT_REQUESTS, MAX_QUEUED_REQUESTS, MAX_QUEUE_WAIT_MS: the service's admission control (libs/runtime). */
  ...subgraphAdmissionSettings,
  /** BODY_TIMEOUT_MS: how long a request's body may take to arrive (libs/runtime's HTTP shell). */
  ...httpServiceSettings,
});

export type UsersSettings = z.output<typeof usersSettingsSchema>;
export type OidcProviderSettings = z.output<typeof oidcProvider>;
