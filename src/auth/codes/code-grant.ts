/**
 * What an authorization code stands for (RFC 6749 §4.1.2): the authorization endpoint issues one
 * after the user signed in (and consented), the token endpoint redeems it once, with the PKCE
 * verifier (RFC 7636 §4.5) and the same redirect URI (RFC 6749 §4.1.3).
 */

/** The authorization a code carries from /authorize to /token. */
export interface CodeGrant {
  /** The registered client the code was issued to. */
  clientId: string;
  /** The redirect URI of the authorization request, exactly as sent: /token must see the same. */
  redirectUri: string;
  /** The user who signed in (their id: the tokens' `sub`). */
  sub: string;
  /** The scopes granted: asked for, held by the user, allowed to the client, consented to. */
  scopes: string[];
  /** BASE64URL(SHA-256(code_verifier)): only S256 is accepted (RFC 9700 §2.1.1). */
  codeChallenge: string;
  /** The browser sign-in session the code was issued in; ending that session ends what it issued. */
  signInSid?: string;
  /** When the user last entered their password (seconds since the epoch). */
  authTime: number;
}

/** Issues authorization codes: the one thing the authorization endpoint needs of the code store. */
export interface CodeIssuer {
  /** Stores `grant` for the code's lifetime (60 s) and answers the code (opaque, ≥ 256 bits). */
  issue(grant: CodeGrant): Promise<string>;
  /**
   * Reserves one code for the browser sign-in session `signInSid`, before {@link issue}: false
   * when that session holds its limit of codes (./code-issuance-limit.ts), and then nothing may
   * be issued.
   */
  reserve(signInSid: string): Promise<boolean>;
}
