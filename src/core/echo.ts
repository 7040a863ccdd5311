/**
 * Client input that an error answer repeats (a path, a header value, a property name) is cut to a
 * few hundred characters: a problem document explains, it does not mirror. Uncut, a 15 KB path
 * came back twice (detail and instance), so a client could make the service send twice what it
 * sent, for the price of a 404.
 */

/** Most characters of one echoed string (the cut one ends in "…"). */
export const MAX_ECHO_CHARS = 256;

/** `text`, or its first MAX_ECHO_CHARS - 1 UTF-16 units and "…" when longer (never half a surrogate pair). */
export function cutEcho(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  // A high surrogate whose low half would be cut off goes too: the rest must stay valid UTF-16.
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
