/** The action's error types and how an error becomes text, in one place. */

/** Bad input: the message names the input and says what to change. */
export class InputError extends Error {
  constructor(readonly input: string, message: string) {
    super(`Input \`${input}\`: ${message}`)
    this.name = 'InputError'
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The message plus a command's stderr, when it carries one: what retry and auth rules match against. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const stderr = (err as { stderr?: unknown }).stderr
    return typeof stderr === 'string' && stderr ? `${err.message}\n${stderr}` : err.message
  }
  return String(err)
}
