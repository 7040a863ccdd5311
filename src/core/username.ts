/**
 * The one rule for comparing usernames, shared by the store (which keeps them in this form), the
 * login limits (which count attempts per username) and the password policy (not the username).
 */

/** The canonical form usernames are stored and looked up in: trimmed, lower-cased. */
export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}
