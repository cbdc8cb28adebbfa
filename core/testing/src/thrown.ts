/** What `fn` throws (a test then looks at its code, status, …); fails when it throws nothing. */
export function thrown<E = Error>(fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    return err as E;
  }
  throw new Error('expected it to throw');
}
