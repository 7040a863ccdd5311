/**
 * Why a DPoP proof was refused (RFC 9449 §5, §7.1, §8). The proof checks throw it wherever they run;
 * the token endpoint answers it as an RFC 6749 §5.2 error (400), a protected resource as a 401 with
 * a `DPoP` challenge, so the checks themselves know nothing of either.
 */
import { ServiceError } from '../../core/errors';

/** `invalid_dpop_proof`: the proof is missing, malformed or fails a check; `use_dpop_nonce`: send a nonce. */
export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce';

/** A refused DPoP proof. `message` names the failed check and never repeats the proof. */
export class DpopError extends ServiceError {
  constructor(
    readonly code: DpopErrorCode,
    message: string,
  ) {
    super(message);
  }
}
