/**
 * Whether `work` settled (resolved or rejected) within `ms`. Never rejects; the timer is
 * cleared as soon as the work settles and never keeps the process up. What `work` yields or
 * throws is still the caller's to read from `work` itself.
 */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
