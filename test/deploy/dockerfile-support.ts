/**
 * Reading the Dockerfile for the static deployment tests: its instructions one per entry, the
 * final (runtime) stage's, and the command that stage starts.
 */
import { readText } from './compose-support';

/** Continuation lines joined, comments and blank lines dropped: one instruction per entry. */
export const dockerfileInstructions = (file = 'Dockerfile'): string[] =>
  readText(file)
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));

/** The index of each FROM: where each stage begins. */
export const stageStarts = (instructions: string[]): number[] =>
  instructions.flatMap((line, i) => (/^FROM\s/i.test(line) ? [i] : []));

/** The instructions of the last stage, the image that runs. */
export function finalStage(instructions: string[] = dockerfileInstructions()): string[] {
  return instructions.slice(stageStarts(instructions).at(-1) ?? 0);
}

/** The final stage's instructions of one kind (`CMD`, `ENV`...), in order. */
export const inFinalStage = (keyword: string, instructions?: string[]): string[] =>
  finalStage(instructions).filter((line) => new RegExp(`^${keyword}\\s`, 'i').test(line));

/**
 * The words of the final stage's last CMD, which is the one Docker keeps. Only the exec (JSON)
 * form is understood: the shell form would put `sh -c` between init and node, which this
 * Dockerfile avoids so that SIGTERM reaches the service.
 */
export function finalCmd(instructions?: string[]): string[] {
  const cmd = inFinalStage('CMD', instructions).at(-1) ?? '';
  return JSON.parse(cmd.replace(/^CMD\s+/i, '')) as string[];
}
