import { ServiceError } from '../core/errors';
import { normaliseUsername } from '../core/username';
import { UUID } from '../core/uuid';
import type { Database } from './database';
import { returnedRow, toDate, toStringArray } from './row-mapping';

/** A stored user, as the application sees it. */
export interface UserRecord {
  id: string;
  /** Normalised: trimmed and lower-cased. */
  username: string;
  passwordHash: string;
  scopes: string[];
  createdAt: Date;
  disabledAt: Date | null;
}

/** Input for {@link UsersRepository.create}. */
export interface NewUser {
  username: string;
  passwordHash: string;
  scopes: string[];
}

/** The scope that makes a user an administrator. */
export const ADMIN_SCOPE = 'users:admin';

/** A change to a user by an administrator: absent members stay as they are. */
export interface UserChanges {
  scopes?: string[];
  disabled?: boolean;
}

/** Options for {@link UsersRepository.list}. */
export interface ListUsersOptions {
  /** Only usernames starting with this (already normalised). */
  prefix?: string;
  /** At most this many users (1 or more). */
  limit: number;
  /** Only usernames strictly after this one (bytewise). */
  after?: string;
}

/** A page of users by username; `next` is the last username when more follow, else null. */
export interface UsersPage {
  users: UserRecord[];
  next: string | null;
}

/**
 * The outcome of an administrator's change. `last_admin`: it would leave no enabled user holding
 * {@link ADMIN_SCOPE}, so nothing was written. `before` is the user as it was, `after` as it is
 * now (null once deleted).
 */
export type AdminWriteResult<After extends UserRecord | null = UserRecord | null> =
  | { kind: 'ok'; before: UserRecord; after: After }
  | { kind: 'not_found' }
  | { kind: 'last_admin' };

/**
 * The advisory lock every change that can take an enabled administrator away holds until its
 * transaction ends (an arbitrary constant: 'sgadmin' in ASCII, within bigint).
 */
const ADMIN_LOCK = '32483290316106096';

/** Thrown by {@link UsersRepository.create} when the normalised username already exists. */
export class UsernameTakenError extends ServiceError {
  static override readonly code = 'username_taken';
  readonly code = 'username_taken';

  constructor(
    readonly username: string,
    options?: { cause?: unknown },
  ) {
    super(`Username "${username}" is already taken`, options);
  }
}

const UNIQUE_VIOLATION = '23505';
const COLUMNS = 'id, username, password_hash, scopes, created_at, disabled_at';

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  scopes: unknown;
  created_at: unknown;
  disabled_at: unknown;
}

/** Data access for the `users` table. */
export class UsersRepository {
  constructor(private readonly db: Database) {}

  /** Looks a user up by username, normalising the input first. */
  async findByUsername(username: string): Promise<UserRecord | null> {
    // No username holds U+0000 (the create pattern forbids it), and PostgreSQL text cannot even
    // carry one as a parameter (SQLSTATE 22021): answer "no such user" without a query.
    if (username.includes('\u0000')) return null;
    const rows = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [
      normaliseUsername(username),
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Looks a user up by id; an id that is not a UUID yields null without a query. */
  async findById(id: string): Promise<UserRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Inserts a user with a normalised username.
   * @throws {@link UsernameTakenError} if the username is already in use.
   */
  async create(input: NewUser): Promise<UserRecord> {
    const username = normaliseUsername(input.username);
    try {
      const rows = await this.db.query<UserRow>(
        `INSERT INTO users (username, password_hash, scopes) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
        [username, input.passwordHash, [...input.scopes]],
      );
      return toRecord(returnedRow(rows));
    } catch (err) {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw new UsernameTakenError(username, { cause: err });
      throw err;
    }
  }

  /** Replaces a user's password hash (e.g. after a rehash). No-op for an unknown id. */
  async updatePasswordHash(id: string, hash: string): Promise<void> {
    if (!UUID.test(id)) return;
    await this.db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, hash]);
  }

  /** Up to `limit` users after `after`, by username (bytewise), maybe only those with a prefix. */
  async list(opts: ListUsersOptions): Promise<UsersPage> {
    const limit = Math.max(1, Math.floor(opts.limit));
    // LIKE with its metacharacters escaped: '_' is a username character but a LIKE wildcard.
    const pattern = opts.prefix === undefined ? null : `${opts.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // COLLATE "C": bytewise, the same order in every database locale, so cursors are stable.
    const rows = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users
       WHERE ($1::text IS NULL OR username LIKE $1::text ESCAPE '\\')
         AND ($2::text IS NULL OR username COLLATE "C" > $2::text)
       ORDER BY username COLLATE "C" LIMIT $3`,
      [pattern, opts.after ?? null, limit + 1],
    );
    const page = rows.slice(0, limit).map(toRecord);
    return { users: page, next: rows.length > limit ? (page.at(-1)?.username ?? null) : null };
  }

  /**
   * Applies an administrator's change (scopes, disabled) unless it would leave no enabled
   * administrator. With no change, answers the user as it is.
   */
  async update(id: string, changes: UserChanges): Promise<AdminWriteResult<UserRecord>> {
    if (!UUID.test(id)) return { kind: 'not_found' };
    return this.guardedWrite(
      id,
      async (tx, before) => {
        if (changes.scopes === undefined && changes.disabled === undefined) return before;
        const scopes = changes.scopes ?? before.scopes;
        const disabled = changes.disabled ?? before.disabledAt !== null;
        const rows = await tx.query<UserRow>(
          `UPDATE users SET scopes = $2::text[],
           disabled_at = CASE WHEN $3::boolean THEN coalesce(disabled_at, now()) ELSE NULL END,
           updated_at = now()
         WHERE id = $1::uuid RETURNING ${COLUMNS}`,
          [id, [...scopes], disabled],
        );
        return toRecord(returnedRow(rows));
      },
      (before) =>
        isEnabledAdmin({
          scopes: changes.scopes ?? before.scopes,
          disabledAt: changes.disabled === undefined ? before.disabledAt : changes.disabled ? new Date() : null,
        }),
    );
  }

  /** Deletes a user unless they are the last enabled administrator. */
  async delete(id: string): Promise<AdminWriteResult<null>> {
    if (!UUID.test(id)) return { kind: 'not_found' };
    return this.guardedWrite(
      id,
      async (tx) => {
        await tx.query('DELETE FROM users WHERE id = $1::uuid', [id]);
        return null;
      },
      () => false,
    );
  }

  /**
   * One transaction that may take an enabled administrator away: under {@link ADMIN_LOCK}, reads
   * the user, refuses when they are an enabled admin, would no longer be (`staysAdmin`), and no
   * other enabled admin exists; else runs `write`.
   *
   * Why a lock: two admins disabling each other at once would each count the other as enabled in
   * their own snapshot and both commit, leaving none. The lock makes the second wait until the
   * first commits; its count runs after the wait and, under READ COMMITTED (each statement takes
   * a new snapshot), sees the first one's write. Only writes that remove admins take it; creating
   * or promoting an admin cannot break the invariant. PGlite is one session, already serial.
   */
  private async guardedWrite<After extends UserRecord | null>(
    id: string,
    write: (tx: Pick<Database, 'query'>, before: UserRecord) => Promise<After>,
    staysAdmin: (before: UserRecord) => boolean,
  ): Promise<AdminWriteResult<After>> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADMIN_LOCK]);
      const rows = await tx.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1::uuid FOR UPDATE`, [id]);
      if (!rows[0]) return { kind: 'not_found' } as const;
      const before = toRecord(rows[0]);
      if (isEnabledAdmin(before) && !staysAdmin(before)) {
        const others = await tx.query<{ n: unknown }>(
          `SELECT count(*)::int AS n FROM users WHERE id <> $1::uuid AND disabled_at IS NULL AND $2::text = ANY(scopes)`,
          [id, ADMIN_SCOPE],
        );
        if (Number(others[0]?.n ?? 0) === 0) return { kind: 'last_admin' } as const;
      }
      return { kind: 'ok', before, after: await write(tx, before) } as const;
    });
  }

  /** Number of users, disabled ones included. */
  async count(): Promise<number> {
    // count(*) is bigint: pg returns it as a string, PGlite as a number.
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return Number(rows[0]?.n ?? 0);
  }
}

/** Whether a user is an administrator who can act now: enabled and holding {@link ADMIN_SCOPE}. */
export function isEnabledAdmin(user: Pick<UserRecord, 'scopes' | 'disabledAt'>): boolean {
  return user.disabledAt === null && user.scopes.includes(ADMIN_SCOPE);
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    scopes: toStringArray(row.scopes),
    createdAt: toDate(row.created_at),
    disabledAt: row.disabled_at === null || row.disabled_at === undefined ? null : toDate(row.disabled_at),
  };
}
