import type { Database } from './database';
import { toDate, toStringArray } from './row-mapping';

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

/** Thrown by {@link UsersRepository.create} when the normalised username already exists. */
export class UsernameTakenError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'username_taken';

  constructor(readonly username: string, options?: { cause?: unknown }) {
    super(`Username "${username}" is already taken`, options);
    this.name = 'UsernameTakenError';
  }
}

/** The canonical form usernames are stored and looked up in: trimmed, lower-cased. */
export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
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

  /** Looks a user up by id; an id that is not a canonical UUID yields null without a query. */
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
      return toRecord(rows[0]!);
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

  /** Number of users, disabled ones included. */
  async count(): Promise<number> {
    // count(*) is bigint: pg returns it as a string, PGlite as a number.
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return Number(rows[0]?.n ?? 0);
  }
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
